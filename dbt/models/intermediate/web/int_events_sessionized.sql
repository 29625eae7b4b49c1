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

-- The window passes carry only what the session's measures read; the landing attributes
-- are joined back from the session's first event alone.
ordered as (
    select
        anonymous_id,
        event_id,
        occurred_at,
        event_type,
        customer_id,
        _source_file,
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

-- One row per session. The event that started it (is_session_start) is its first event in
-- the order above, so its landing attributes are that event's.
sessions as (
    select
        anonymous_id,
        session_number,
        max(case when is_session_start = 1 then event_id end) as first_event_id,
        max(occurred_at) as session_ended_at,
        count(*) as session_events,
        sum({{ c360_row_digest() }}) as session_digest,
        sum(case when event_type = 'page_view' then 1 else 0 end) as session_page_views,
        max(customer_id) as logged_in_customer_id,
        max(case when event_type = 'product_view' then 1 else 0 end) as product_views,
        max(case when event_type = 'add_to_cart' then 1 else 0 end) as add_to_carts,
        max(case when event_type = 'begin_checkout' then 1 else 0 end) as checkouts,
        max(case when event_type = 'purchase' then 1 else 0 end) as purchases
    from numbered
    group by anonymous_id, session_number
),

final as (
    select
        {{ c360_surrogate_key(['sessions.anonymous_id', 'sessions.session_number']) }}
            as session_id,
        sessions.anonymous_id,
        cast(sessions.session_number as integer) as session_number,
        first_event.occurred_at as session_started_at,
        sessions.session_ended_at,
        {{ dbt.datediff('first_event.occurred_at', 'sessions.session_ended_at', 'second') }}
            as duration_seconds,
        sessions.session_events as events,
        sessions.session_page_views as page_views,
        sessions.logged_in_customer_id,
        first_event.page_url as landing_page_url,
        first_event.referrer_url,
        first_event.utm_source,
        first_event.utm_medium,
        first_event.utm_campaign,
        first_event.device_type,
        first_event.country_code,
        sessions.product_views = 1 as has_product_view,
        sessions.add_to_carts = 1 as has_add_to_cart,
        sessions.checkouts = 1 as has_begin_checkout,
        sessions.purchases = 1 as has_purchase,
        sessions.session_digest as _digest
    from sessions
    inner join events as first_event
        on sessions.first_event_id = first_event.event_id
)

select * from final
