with

sessions as (
    select * from "c360"."intermediate"."int_events_sessionized"
),

identities as (
    select * from "c360"."intermediate"."int_identities_stitched"
),

customers as (
    select * from "c360"."core"."dim_customers"
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
            and attributed.session_started_at >= customers.valid_from
    and (customers.valid_to is null or attributed.session_started_at < customers.valid_to)
)

select * from final