{% macro c360_committed_compacted_events() %}
    {{ return(adapter.dispatch('c360_committed_compacted_events')()) }}
{% endmacro %}

{% macro default__c360_committed_compacted_events() %}
    {#- PostgreSQL: the raw loader copies only the parts a manifest commits. -#}
    select * from {{ source('web', 'events_compacted') }}
{% endmacro %}

{% macro redshift__c360_committed_compacted_events() %}
    {#- Spectrum reads every Parquet file of a partition folder, so while an hour is being
        compacted again it would read old and new parts: only rows whose file ("$path") a
        committed manifest lists are kept (the list is written by the load_raw step). -#}
    select compacted.*
    from {{ source('web', 'events_compacted') }} as compacted
    inner join {{ source('c360_loader', 'compacted_parts') }} as committed
        on compacted."$path" = committed.part
{% endmacro %}

{% macro duckdb__c360_committed_compacted_events() %}
    {#- A unit test's inputs are its whole world: it never reads compacted files of the lake. -#}
    {%- if model.resource_type != 'unit_test' and c360_lake_has_files('compacted/web/events/*/*/_manifest.json') %}
    select parquet.* exclude (filename)
    from {{ source('web', 'events_compacted') }} as parquet
    inner join (
        select unnest(parts) as part
        from {{ source('web', 'events_compaction_manifests') }}
    ) as committed
        {#- An equality (the source's glob starts with the same lake root), so a hash join:
            ends_with() made it a nested loop over every row and part (15x slower). #}
        on parquet.filename = '{{ env_var('C360_LAKE', var('c360_default_lake')) }}/' || committed.part
    {%- else %}
    {#- Nothing compacted yet: an empty relation with the compacted columns. -#}
    select
        * exclude (filename, dt, hr),
        filename as _source_file,
        dt,
        hr
    from {{ c360_source('web', 'events') }} as raw_events
    where false
    {%- endif %}
{% endmacro %}
