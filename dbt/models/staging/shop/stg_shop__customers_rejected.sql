-- Rows of the customers exports that break a business rule, with the reason: never dropped.
with

rejected as (
    select * from {{ ref('base_shop__customers') }}
    where rejection_reason is not null
)

select * from rejected
