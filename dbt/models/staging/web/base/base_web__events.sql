{#- The staging rules of events (the loader has already quarantined every record that breaks
    the events contract):
    rejected: no or an unparseable occurred_at; an implausible one: before var
    c360_earliest_plausible_date, or more than var c360_future_tolerance_hours after the
    event reached Kinesis (device clocks drift, a day's worth is tolerated).
    kept, flagged in data_quality_issues: a device_type outside its vocabulary.
    Reads landed_web__events: every raw event, parsed once. Every rule reads the row
    alone, so the model is incremental by lake file like the landed one (c360_unread_rows);
    a change of a rule or of its vars needs a full refresh (`c360 build --full-refresh`). -#}
{{
    config(
        materialized='incremental',
        pre_hook="{{ c360_forget_rows_gone(ref('landed_web__events')) }}",
    )
}}

with

landed as (
    select * from {{ ref('landed_web__events') }}
    where {{ c360_unread_rows() }}
),

renamed as (
    select
        -- ids
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        anonymous_id,
        customer_id,
        product_id,
        order_id,
        -- what happened
        lower(trim(event_type)) as event_type,
        occurred_at,
        page_url,
        referrer_url,
        search_query,
        -- marketing
        lower(utm_source) as utm_source,
        lower(utm_medium) as utm_medium,
        lower(utm_campaign) as utm_campaign,
        -- device and place
        {{ c360_vocabulary_value('device_type', 'events') }} as device_type,
        device_type as device_type_text,
        upper(country_code) as country_code,
        city,
        -- lineage
        _kinesis_shard_id,
        _kinesis_sequence_number,
        _kinesis_arrival_at,
        _landed_at,
        _source_file
    from landed
),

checked as (
    select
        *,
        {{ rejection_reason(
            [("occurred_at is null", "missing or unparseable occurred_at")]
            + c360_implausible_moment_rules('occurred_at', '_kinesis_arrival_at', 'the event reached Kinesis')
        ) }} as rejection_reason,
        {{ c360_data_quality_issues([
            (unparseable("device_type_text", "device_type"), "device_type"),
        ]) }} as data_quality_issues
    from renamed
)

select * from checked
