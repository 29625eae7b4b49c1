{% macro c360_valid_at(dimension, moment) %}
    {#- True for the SCD2 version of `dimension` that was valid at `moment`. Both ends are
        real timestamps (the current version ends at var c360_scd2_end), so engines plan a
        range join instead of a nested loop. -#}
    {{ moment }} >= {{ dimension }}.valid_from
    and {{ moment }} < {{ dimension }}.valid_to
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


{% macro c360_row_hash(columns) %}
    {#- A hash of a row's values, nulls included, to tell two versions apart. Text columns
        only: cast others in the caller (Redshift cannot cast a boolean to text). -#}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(" ~ column ~ ", '\\N')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{% macro c360_scd2_start() %}
    {#- The first version of a key reaches back to var c360_scd2_start, so every older fact finds one. -#}
    cast('{{ var("c360_scd2_start") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{% macro c360_scd2_end() %}
    {#- valid_to of the current version: var c360_scd2_end, far in the future. -#}
    cast('{{ var("c360_scd2_end") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
