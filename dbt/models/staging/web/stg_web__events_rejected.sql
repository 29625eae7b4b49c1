-- Events that passed the loader's contract but break a business rule, with the reason.
with

rejected as (
    select * from {{ ref('base_web__events') }}
    where rejection_reason is not null
)

select * from rejected
