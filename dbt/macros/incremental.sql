{% macro c360_is_incremental() %}
    {#- dbt's is_incremental(), unless var c360_assume_incremental says which branch to render:
        compiling for Redshift offline cannot ask the warehouse whether the table exists. -#}
    {%- set assumed = var('c360_assume_incremental', none) -%}
    {%- if assumed is not none -%}
        {{ return(assumed | string | lower in ['true', '1', 'yes']) }}
    {%- endif -%}
    {{ return(is_incremental()) }}
{% endmacro %}


{% macro c360_incremental_strategy() %}
    {{ return(adapter.dispatch('c360_incremental_strategy')()) }}
{% endmacro %}

{% macro default__c360_incremental_strategy() %}
    {{ return('delete+insert') }}
{% endmacro %}

{% macro postgres__c360_incremental_strategy() %}
    {#- MERGE exists from PostgreSQL 15 on; one statement instead of a delete and an insert. -#}
    {{ return('merge') }}
{% endmacro %}

{% macro redshift__c360_incremental_strategy() %}
    {{ return('merge') }}
{% endmacro %}
