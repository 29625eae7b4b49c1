{% test scd2_valid_ranges(model, key, valid_from='valid_from', valid_to='valid_to') %}
    {#- SCD2 history: per key, each version ends where the next begins (no gap, no overlap)
        and exactly one is current, the last, whose valid_to is var c360_scd2_end.
        Fails on each offending version or key. -#}
    {%- set open_end = "cast('" ~ var('c360_scd2_end') ~ "' as " ~ dbt.type_timestamp() ~ ")" %}
    with versions as (
        select
            {{ key }} as version_key,
            {{ valid_from }} as version_from,
            {{ valid_to }} as version_to,
            lead({{ valid_from }}) over (
                partition by {{ key }} order by {{ valid_from }}
            ) as next_from
        from {{ model }}
    ),

    broken_ranges as (
        select version_key, 'does not end where the next version begins' as problem
        from versions
        where
            version_to is null
            or version_to <= version_from
            or (next_from is not null and version_to != next_from)
            or (next_from is null and version_to != {{ open_end }})
    ),

    current_rows as (
        select
            version_key,
            sum(case when version_to = {{ open_end }} then 1 else 0 end) as current_versions
        from versions
        group by version_key
    ),

    not_one_current as (
        select version_key, 'has no single current version' as problem
        from current_rows
        where current_versions != 1
    )

    select * from broken_ranges
    union all
    select * from not_one_current
{% endtest %}
