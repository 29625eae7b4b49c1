

with

events as (
    select * from "c360"."staging"."stg_web__events"
    
    -- Only what landed since the last build, less a lookback: an object whose write began
    -- before the previous build read the lake can become visible after it. Late events
    -- (old occurred_at) are caught whatever their age, since they land late.
        where _landed_at >= (
            select
                

    dateadd(
        hour,
        -3,
        coalesce(max(_landed_at), cast('1900-01-01' as timestamp))
        )


            from "c360"."core"."fct_events"
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
        _landed_at
    from events
)

select * from final