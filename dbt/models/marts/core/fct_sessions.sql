with

sessions as (
    select * from {{ ref('int_events_sessionized') }}
),

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

-- A session belongs to the customer logged in during it, else to the device's owner
-- (so browsing before login is attributed); a shared device's anonymous sessions stay anonymous.
attributed as (
    select
        sessions.*,
        coalesce(sessions.logged_in_customer_id, identities.customer_id) as customer_id
    from sessions
    left join identities
        on sessions.anonymous_id = identities.anonymous_id
),

final as (
    select
        attributed.session_id,
        attributed.anonymous_id,
        attributed.customer_id,
        customers.customer_sk,
        cast(attributed.session_started_at as date) as session_date,
        attributed.session_started_at,
        attributed.session_ended_at,
        cast(attributed.duration_seconds as integer) as duration_seconds,
        cast(attributed.events as integer) as events,
        cast(attributed.page_views as integer) as page_views,
        attributed.landing_page_url,
        attributed.utm_source,
        attributed.utm_medium,
        attributed.utm_campaign,
        attributed.device_type,
        attributed.country_code,
        attributed.has_product_view,
        attributed.has_add_to_cart,
        attributed.has_begin_checkout,
        attributed.has_purchase
    from attributed
    left join customers
        on
            attributed.customer_id = customers.customer_id
            and {{ c360_valid_at('customers', 'attributed.session_started_at') }}
)

select * from final
