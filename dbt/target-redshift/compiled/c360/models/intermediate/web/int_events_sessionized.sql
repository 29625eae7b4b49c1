with

events as (
    select * from "c360"."staging"."stg_web__events"
),

ordered as (
    select
        *,
        lag(occurred_at) over (
            partition by anonymous_id order by occurred_at, event_id
        ) as previous_occurred_at
    from events
),

-- A gap of more than the timeout starts a new session; exactly the timeout does not.
flagged as (
    select
        *,
        case
            when previous_occurred_at is null then 1
            when
                datediff(
        second,
        previous_occurred_at,
        occurred_at
        )
                > 30 * 60
                then 1
            else 0
        end as is_session_start
    from ordered
),

numbered as (
    select
        *,
        sum(is_session_start) over (
            partition by anonymous_id
            order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as session_number,
        row_number() over (
            partition by anonymous_id order by occurred_at, event_id
        ) as event_number
    from flagged
),

session_events as (
    select
        *,
        row_number() over (
            partition by anonymous_id, session_number order by occurred_at, event_id
        ) as event_in_session
    from numbered
),

landings as (
    select
        anonymous_id,
        session_number,
        page_url as landing_page_url,
        referrer_url,
        utm_source,
        utm_medium,
        utm_campaign,
        device_type,
        country_code
    from session_events
    where event_in_session = 1
),

aggregated as (
    select
        anonymous_id,
        session_number,
        min(occurred_at) as session_started_at,
        max(occurred_at) as session_ended_at,
        count(*) as events,
        sum(case when event_type = 'page_view' then 1 else 0 end) as page_views,
        max(customer_id) as logged_in_customer_id,
        max(case when event_type = 'product_view' then 1 else 0 end) = 1 as has_product_view,
        max(case when event_type = 'add_to_cart' then 1 else 0 end) = 1 as has_add_to_cart,
        max(case when event_type = 'begin_checkout' then 1 else 0 end) = 1 as has_begin_checkout,
        max(case when event_type = 'purchase' then 1 else 0 end) = 1 as has_purchase
    from session_events
    group by anonymous_id, session_number
),

final as (
    select
        md5(cast(cast(aggregated.anonymous_id as TEXT) || '|' || cast(aggregated.session_number as TEXT) as TEXT))
            as session_id,
        aggregated.anonymous_id,
        cast(aggregated.session_number as integer) as session_number,
        aggregated.session_started_at,
        aggregated.session_ended_at,
        datediff(
        second,
        aggregated.session_started_at,
        aggregated.session_ended_at
        )
            as duration_seconds,
        aggregated.events,
        aggregated.page_views,
        aggregated.logged_in_customer_id,
        landings.landing_page_url,
        landings.referrer_url,
        landings.utm_source,
        landings.utm_medium,
        landings.utm_campaign,
        landings.device_type,
        landings.country_code,
        aggregated.has_product_view,
        aggregated.has_add_to_cart,
        aggregated.has_begin_checkout,
        aggregated.has_purchase
    from aggregated
    inner join landings
        on
            aggregated.anonymous_id = landings.anonymous_id
            and aggregated.session_number = landings.session_number
)

select * from final