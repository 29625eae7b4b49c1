{% macro c360_source(source_name, table_name) %}
    {#- source(), except that a raw table with no files in the lake yet reads as empty on
        DuckDB (its reader fails on a glob that matches nothing): shop exports without
        clickstream, or clickstream without shop exports, still build. -#}
    {%- set relation = source(source_name, table_name) -%}
    {{ return(adapter.dispatch('c360_source')(source_name, table_name, relation)) }}
{% endmacro %}

{% macro default__c360_source(source_name, table_name, relation) %}
    {#- Warehouses read the lake through tables that always exist (Spectrum, COPY). -#}
    {{ return(relation) }}
{% endmacro %}

{% macro duckdb__c360_source(source_name, table_name, relation) %}
    {#- At parse time, and in unit tests (whose inputs stand in for the source), the source. -#}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set node = c360_source_node(source_name, table_name) -%}
    {%- set meta = c360_source_meta(source_name, table_name) -%}
    {%- if c360_lake_has_files(meta['lake_glob']) -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for column in node.columns -%}
        {%- do columns.append("cast(null as varchar) as " ~ column) -%}
    {%- endfor -%}
    {%- do columns.append("cast(null as varchar) as filename") -%}
    {%- for name, type in (meta.get('partition_columns') or {}).items() -%}
        {%- do columns.append("cast(null as " ~ type ~ ") as " ~ name) -%}
    {%- endfor -%}
    {{ return("(select " ~ columns | join(", ") ~ " where 1 = 0)") }}
{% endmacro %}


{% macro c360_lake_has_files(relative_glob) %}
    {{ return(adapter.dispatch('c360_lake_has_files')(relative_glob)) }}
{% endmacro %}

{% macro default__c360_lake_has_files(relative_glob) %}
    {#- Warehouses read the lake through catalog tables that always exist (Spectrum, COPY). -#}
    {{ return(true) }}
{% endmacro %}

{% macro duckdb__c360_lake_has_files(relative_glob) %}
    {#- At parse time claim the files exist, so dbt records every source the model may read. -#}
    {% if not execute %}
        {{ return(true) }}
    {% endif %}
    {% set pattern = env_var('C360_LAKE', var('c360_default_lake')) ~ '/' ~ relative_glob %}
    {% set found = run_query("select count(*) from glob('" ~ pattern | replace("'", "''") ~ "')") %}
    {{ return(found.columns[0].values()[0] > 0) }}
{% endmacro %}
