{% macro c360_valid_at(dimension, moment) %}
    {#- True for the SCD2 version of `dimension` that was valid at `moment`. -#}
    {{ moment }} >= {{ dimension }}.valid_from
    and ({{ dimension }}.valid_to is null or {{ moment }} < {{ dimension }}.valid_to)
{%- endmacro %}


{% macro c360_surrogate_key(columns) %}
    {#- A hash of the columns' text joined by '|': the same key on every engine. -#}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{% macro c360_scd2_validity() %}
    {#- valid_from / valid_to / is_current of a snapshot row numbered by `version_number`.
        The first version reaches back to var c360_scd2_start, so every older fact finds one. -#}
    case
        when version_number = 1
            then cast('{{ var("c360_scd2_start") }}' as {{ dbt.type_timestamp() }})
        else dbt_valid_from
    end as valid_from,
    dbt_valid_to as valid_to,
    dbt_valid_to is null as is_current
{%- endmacro %}
