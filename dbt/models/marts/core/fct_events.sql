{#- Incremental by event, like stg_web__events: a build writes again only the events whose
    row there may have changed (c360_touched_keys: rows from files this table has not
    read, or kept rows whose file is gone), so late events and late objects are caught
    whatever their age. A point-in-time build (var as_of_date set) rebuilds the table whole,
    as of that day; the next build also reads every event after the newest one the table
    holds, so the events a point-in-time build left out come back. -#}
{{
    config(
        unique_key='event_id',
        on_schema_change='append_new_columns',
        incremental_strategy=c360_incremental_strategy(),
        full_refresh=(c360_as_of_var() is not none) or none,
        post_hook="{{ c360_forget_rows_gone(ref('stg_web__events')) }}",
    )
}}

with

events as (
    select * from {{ ref('stg_web__events') }}
    where
        {{ c360_known_by_as_of('occurred_at') }}
        and (
            {{ c360_touched_keys(ref('stg_web__events'), 'event_id') }}
            {%- if c360_is_incremental() %}
                or occurred_at > (select max(fct.occurred_at) from {{ this }} as fct)
            {%- endif %}
        )
),

-- Only what the event itself says: attributes that later data can change (stitched
-- customer, session, dimension version) live in fct_sessions and the dimensions, so an
-- incremental build gives exactly the rows a full refresh does.
final as (
    select
        event_id,
        event_type,
        cast(occurred_at as date) as event_date,
        occurred_at,
        anonymous_id,
        customer_id,
        product_id,
        order_id,
        page_url,
        referrer_url,
        search_query,
        utm_source,
        utm_medium,
        utm_campaign,
        device_type,
        country_code,
        city,
        _kinesis_arrival_at,
        _landed_at,
        _source_file
    from events
)

select * from final
