-- Rows of the transactions exports that break a business rule, with the reason: never dropped.
with

rejected as (
    select * from {{ ref('base_shop__transactions') }}
    where rejection_reason is not null
)

select * from rejected
