{#- The staging rules of events (the loader has already quarantined every record that breaks
    the events contract):
    rejected: no or an unparseable occurred_at; an implausible one: before var
    c360_earliest_plausible_date, or more than var c360_future_tolerance_hours after the
    event reached Kinesis (device clocks drift, a day's worth is tolerated).
    kept, flagged in data_quality_issues: a device_type outside its vocabulary.
    Which compacted parts are committed is read from the manifests on DuckDB and from the
    list c360 keeps on Redshift (c360_committed_compacted_events); both are named here so
    the model has the same parents on every target, and so do its unit tests. -#}
-- depends_on: {{ source('web', 'events_compaction_manifests') }}
-- depends_on: {{ source('c360_loader', 'compacted_parts') }}
with

raw_events as (
    select
        *,
        {{ c360_source_file() }} as _source_file
    from {{ c360_source('web', 'events') }}
),

compacted_events as (
    {{ c360_committed_compacted_events() }}
),

compacted_hours as (
    select distinct
        dt,
        hr
    from compacted_events
),

-- An hour is read from its committed Parquet once compacted, from the raw files until then.
uncompacted_raw_events as (
    select raw_events.*
    from raw_events
    left join compacted_hours
        on
            raw_events.dt = compacted_hours.dt
            and raw_events.hr = compacted_hours.hr
    where compacted_hours.dt is null
),

unioned as (
    select
        event_id,
        event_type,
        {{ c360_utc_timestamp('occurred_at') }} as occurred_at,
        anonymous_id,
        customer_id,
        page_url,
        referrer_url,
        utm_source,
        utm_medium,
        utm_campaign,
        device_type,
        product_id,
        order_id,
        search_query,
        country_code,
        city,
        _kinesis_shard_id,
        _kinesis_sequence_number,
        {{ c360_utc_timestamp('_kinesis_arrival_at') }} as _kinesis_arrival_at,
        {{ c360_utc_timestamp('_landed_at') }} as _landed_at,
        _source_file
    from uncompacted_raw_events

    union all

    select
        event_id,
        event_type,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        anonymous_id,
        customer_id,
        page_url,
        referrer_url,
        utm_source,
        utm_medium,
        utm_campaign,
        device_type,
        product_id,
        order_id,
        search_query,
        country_code,
        city,
        _kinesis_shard_id,
        _kinesis_sequence_number,
        cast(_kinesis_arrival_at as {{ dbt.type_timestamp() }}) as _kinesis_arrival_at,
        cast(_landed_at as {{ dbt.type_timestamp() }}) as _landed_at,
        _source_file
    from compacted_events
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
    from unioned
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
