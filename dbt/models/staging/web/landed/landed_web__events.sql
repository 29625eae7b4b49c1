{#- Every raw event of the lake, read once (incremental by lake file: see lake_files.sql),
    with its timestamps parsed. A full refresh reads each hour from its committed Parquet
    once compacted, from the raw files until then; an incremental build reads the raw files
    it has not read yet (compaction copies raw files, it never removes them). Which
    compacted parts are committed is read from the manifests on DuckDB and from the list c360
    keeps on Redshift (c360_committed_compacted_events); both are named here so the model has
    the same parents on every target. -#}
-- depends_on: {{ source('web', 'events_compaction_manifests') }}
-- depends_on: {{ source('c360_loader', 'compacted_parts') }}
{{
    config(
        materialized='incremental',
        pre_hook="{{ c360_forget_files_gone('web', 'events') }}",
    )
}}

with

raw_events as (
    select
        *,
        {{ c360_source_file() }} as _source_file
    from {{ c360_source('web', 'events') }}
    where {{ c360_unread_files('web', 'events') }}
),

-- New files are read raw (above) on an incremental build: their hours may be compacted
-- later, into the same rows.
compacted_events as (
    select * from ({{ c360_committed_compacted_events() }}) as committed_parts
    where {{ 'false' if c360_is_incremental() else 'true' }}
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
        _source_file,
        {{ c360_lake_key('_source_file') }} as _lake_key
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
        _source_file,
        {{ c360_lake_key('_source_file') }} as _lake_key
    from compacted_events
)

select * from unioned
