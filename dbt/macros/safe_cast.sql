{% macro duckdb__safe_cast(field, type) %}
    {#- dbt's default safe_cast is a plain cast on DuckDB; try_cast gives null instead of failing. -#}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
