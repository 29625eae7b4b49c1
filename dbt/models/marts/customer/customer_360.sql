{#- One profile per customer: the current version's attributes, then what the analytics
    marts and the facts say about them, joined once here so an app or a CRM reads one row.
    Customers who never bought are here too, with zero orders and no tier or segment. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
    where is_current
),

-- The dimension keeps e-mail only hashed; this profile is where a customer is looked up,
-- so it takes the current address from the history the dimension is built from.
contacts as (
    select
        customer_id,
        email
    from {{ ref('int_customer_versions_collapsed') }}
    where valid_to = {{ c360_scd2_end() }}
),

lifetime as (
    select * from {{ ref('customer_lifetime_value') }}
),

rfm as (
    select * from {{ ref('rfm_segments') }}
),

churn as (
    select * from {{ ref('churn_risk') }}
),

devices as (
    select
        customer_id,
        count(*) as stitched_devices
    from {{ ref('int_identities_stitched') }}
    where customer_id is not null
    group by customer_id
),

sessions as (
    select
        customer_id,
        count(*) as sessions,
        max(session_started_at) as last_session_at
    from {{ ref('fct_sessions') }}
    where customer_id is not null
    group by customer_id
),

order_lines as (
    select * from {{ ref('fct_order_lines') }}
    where not is_cancelled
),

products as (
    select * from {{ ref('dim_products') }}
),

-- Favourite category: the most net revenue, ties to the first name; preferred channel:
-- the most purchases, ties to the first name.
category_revenue as (
    select
        order_lines.customer_id,
        products.category,
        sum(order_lines.net_revenue) as net_revenue
    from order_lines
    inner join products
        on order_lines.product_sk = products.product_sk
    where products.category is not null
    group by order_lines.customer_id, products.category
),

favourite_categories as (
    select
        customer_id,
        category,
        row_number() over (
            partition by customer_id order by net_revenue desc, category asc
        ) as category_rank
    from category_revenue
),

channel_orders as (
    select
        customer_id,
        channel,
        count(distinct order_id) as orders
    from order_lines
    where channel is not null
    group by customer_id, channel
),

preferred_channels as (
    select
        customer_id,
        channel,
        row_number() over (
            partition by customer_id order by orders desc, channel asc
        ) as channel_rank
    from channel_orders
),

final as (
    select
        customers.customer_id,
        customers.customer_sk,
        customers.first_name,
        customers.last_name,
        contacts.email,
        customers.email_hash,
        customers.city,
        customers.country_code,
        customers.signup_at,
        customers.is_marketing_opt_in,
        customers.is_inferred,
        cast(coalesce(devices.stitched_devices, 0) as integer) as stitched_devices,
        cast(coalesce(lifetime.orders, 0) as integer) as orders,
        cast(coalesce(lifetime.net_revenue, 0) as numeric(18, 2)) as net_revenue,
        lifetime.first_order_at,
        lifetime.last_order_at,
        lifetime.historical_clv,
        lifetime.clv_tier,
        lifetime.probability_alive,
        lifetime.expected_purchases_90d,
        lifetime.expected_purchases_365d,
        lifetime.expected_order_value,
        lifetime.predicted_clv_365d,
        rfm.segment as rfm_segment,
        churn.churn_score,
        churn.churn_band,
        churn.churn_probability,
        churn.no_purchase_probability_90d,
        cast(coalesce(sessions.sessions, 0) as integer) as sessions,
        sessions.last_session_at,
        favourite_categories.category as favourite_category,
        preferred_channels.channel as preferred_channel
    from customers
    left join contacts
        on customers.customer_id = contacts.customer_id
    left join lifetime
        on customers.customer_id = lifetime.customer_id
    left join rfm
        on customers.customer_id = rfm.customer_id
    left join churn
        on customers.customer_id = churn.customer_id
    left join devices
        on customers.customer_id = devices.customer_id
    left join sessions
        on customers.customer_id = sessions.customer_id
    left join favourite_categories
        on
            customers.customer_id = favourite_categories.customer_id
            and favourite_categories.category_rank = 1
    left join preferred_channels
        on
            customers.customer_id = preferred_channels.customer_id
            and preferred_channels.channel_rank = 1
)

select * from final
