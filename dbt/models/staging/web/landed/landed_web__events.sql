{#- Every raw event of the lake, read once (incremental by lake file: see lake_files.sql),
    with its timestamps parsed. Each raw file is read from its committed Parquet once
    compacted, from the raw file until then; a file counts as in the lake while its raw
    file or a committed compaction of it is there. Which
    compacted parts are committed is read from the manifests on DuckDB and from the list c360
    keeps on Redshift (c360_committed_compacted_events); both are named here so the model has
    the same parents on every target. -#}
-- depends_on: {{ source('web', 'events_compaction_manifests') }}
-- depends_on: {{ source('c360_loader', 'compacted_parts') }}
{%- set unread = c360_unread('web', 'events', c360_compacted_inputs()) -%}
{{
    config(
        materialized='incremental',
        pre_hook="{{ c360_forget_files_gone('web', 'events', c360_compacted_inputs()) }}",
    )
}}

with

raw_events as (
    select
        *,
        {{ c360_lake_key(c360_source_file()) }} as _source_file
    from {{ c360_source('web', 'events') }}
    where {{ c360_unread_files(unread) }}
),

-- On an incremental build, only the compacted rows of new files (in their hours): a raw
-- file already compacted when first seen, or whose raw copy is gone.
compacted_events as (
    select * from ({{ c360_committed_compacted_events() }}) as committed_parts
    where {{ c360_unread_copies(unread, '_source_file') }}
),

compacted_files as (
    select distinct {{ c360_lake_key('_source_file') }} as _source_file
    from compacted_events
),

-- A file is read from its committed Parquet once compacted, from its raw file until then.
uncompacted_raw_events as (
    select raw_events.*
    from raw_events
    left join compacted_files
        on raw_events._source_file = compacted_files._source_file
    where compacted_files._source_file is null
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
        {{ c360_lake_key('_source_file') }} as _source_file
    from compacted_events
)

select * from unioned
