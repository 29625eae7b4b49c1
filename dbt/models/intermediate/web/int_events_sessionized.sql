{#- Incremental by visitor: a build sessionizes again only the visitors whose events changed
    since it last did (new, late, re-sent or taken back: c360_changed_groups compares each
    visitor's count and digest of events with those of their sessions here), and deletes
    their sessions first, since a new event can join two sessions or split one. -#}
{{
    config(
        materialized='incremental',
        unique_key='anonymous_id',
        on_schema_change='append_new_columns',
        incremental_strategy='delete+insert',
        post_hook="{{ c360_forget_rows_gone(ref('stg_web__events'), 'anonymous_id',
            c360_known_by_as_of('occurred_at')) }}",
    )
}}

with

-- Point in time: events after "today" do not exist (a session open at midnight ends there).
events as (
    select * from {{ ref('stg_web__events') }}
    where
        {{ c360_known_by_as_of('occurred_at') }}
        and {{ c360_changed_groups(
            ref('stg_web__events'), 'anonymous_id', c360_known_by_as_of('occurred_at'), 'events'
        ) }}
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
                {{ dbt.datediff('previous_occurred_at', 'occurred_at', 'second') }}
                > {{ var('c360_session_timeout_minutes') }} * 60
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
        ) as session_number
    from flagged
),

-- Every measure is a window over the whole session, so the session's first event carries
-- them beside its landing attributes: one pass, no join back to the events.
session_events as (
    select
        *,
        row_number() over (
            partition by anonymous_id, session_number order by occurred_at, event_id
        ) as event_in_session,
        max(occurred_at) over (partition by anonymous_id, session_number) as session_ended_at,
        count(*) over (partition by anonymous_id, session_number) as session_events,
        sum({{ c360_row_digest() }})
            over (partition by anonymous_id, session_number)
            as session_digest,
        sum(case when event_type = 'page_view' then 1 else 0 end)
            over (partition by anonymous_id, session_number)
            as session_page_views,
        max(customer_id) over (partition by anonymous_id, session_number) as logged_in_customer_id,
        max(case when event_type = 'product_view' then 1 else 0 end)
            over (partition by anonymous_id, session_number)
            as product_views,
        max(case when event_type = 'add_to_cart' then 1 else 0 end)
            over (partition by anonymous_id, session_number)
            as add_to_carts,
        max(case when event_type = 'begin_checkout' then 1 else 0 end)
            over (partition by anonymous_id, session_number)
            as checkouts,
        max(case when event_type = 'purchase' then 1 else 0 end)
            over (partition by anonymous_id, session_number)
            as purchases
    from numbered
),

final as (
    select
        {{ c360_surrogate_key(['anonymous_id', 'session_number']) }} as session_id,
        anonymous_id,
        cast(session_number as integer) as session_number,
        occurred_at as session_started_at,
        session_ended_at,
        {{ dbt.datediff('occurred_at', 'session_ended_at', 'second') }} as duration_seconds,
        session_events as events,
        session_page_views as page_views,
        logged_in_customer_id,
        page_url as landing_page_url,
        referrer_url,
        utm_source,
        utm_medium,
        utm_campaign,
        device_type,
        country_code,
        product_views = 1 as has_product_view,
        add_to_carts = 1 as has_add_to_cart,
        checkouts = 1 as has_begin_checkout,
        purchases = 1 as has_purchase,
        session_digest as _digest
    from session_events
    where event_in_session = 1
)

select * from final
