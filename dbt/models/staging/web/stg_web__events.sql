{#- Incremental by event: a build ranks again only the events with a row in a file this
    table has not read, or whose kept row came from a file gone since (c360_touched_keys);
    the post-hook drops the events left with no row. A full refresh gives the same rows. -#}
{{
    config(
        materialized='incremental',
        unique_key='event_id',
        on_schema_change='append_new_columns',
        incremental_strategy=c360_incremental_strategy(),
        post_hook="{{ c360_forget_rows_gone(ref('base_web__events')) }}",
    )
}}

with

events as (
    select * from {{ ref('base_web__events') }}
    where
        rejection_reason is null
        and {{ c360_touched_keys(ref('base_web__events'), 'event_id') }}
),

-- Kinesis delivers at least once and producers re-send: keep the first arrival of each event.
-- Most events arrive once, so only the ids with more than one row are ranked (sorting every
-- event by id to find the few copies cost a fifth of the model).
resent as (
    select
        event_id,
        1 as is_resent
    from events
    group by event_id
    having count(*) > 1
),

flagged as (
    select
        events.*,
        resent.is_resent
    from events
    left join resent on events.event_id = resent.event_id
),

ranked as (
    select
        *,
        1 as arrival_rank
    from flagged
    where is_resent is null
    union all
    select
        *,
        row_number() over (
            partition by event_id
            order by _kinesis_arrival_at, _source_file, _kinesis_sequence_number
        ) as arrival_rank
    from flagged
    where is_resent = 1
),

final as (
    select
        event_id,
        anonymous_id,
        customer_id,
        product_id,
        order_id,
        event_type,
        occurred_at,
        page_url,
        referrer_url,
        search_query,
        utm_source,
        utm_medium,
        utm_campaign,
        device_type,
        country_code,
        city,
        _kinesis_shard_id,
        _kinesis_sequence_number,
        _kinesis_arrival_at,
        _landed_at,
        _source_file,
        data_quality_issues,
        arrival_rank
    from ranked
    where arrival_rank = 1
)

select * from final
