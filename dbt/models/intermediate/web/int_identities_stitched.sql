with

events as (
    select * from {{ ref('stg_web__events') }}
    where {{ c360_known_by_as_of('occurred_at') }}
),

-- Every (device, customer) pair seen together: a login or any event while logged in.
identified as (
    select
        anonymous_id,
        customer_id,
        min(occurred_at) as first_identified_at
    from events
    where customer_id is not null
    group by anonymous_id, customer_id
),

devices as (
    select
        anonymous_id,
        count(*) as customers_seen,
        min(customer_id) as only_customer_id,
        min(first_identified_at) as first_identified_at
    from identified
    group by anonymous_id
),

-- A device used by several customers is flagged, not merged into any of them.
final as (
    select
        anonymous_id,
        case when customers_seen = 1 then only_customer_id end as customer_id,
        cast(customers_seen as integer) as customers_seen,
        customers_seen > 1 as is_shared_device,
        first_identified_at
    from devices
)

select * from final
