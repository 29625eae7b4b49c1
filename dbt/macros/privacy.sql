{% macro c360_pii_hash(expression) %}
    {#- A salted SHA-256 of a personal value, as 64 lower-case hex digits (null stays null):
        marts can count, join and deduplicate on it without holding the value. The salt is
        the env var C360_PII_SALT (the c360 CLI supplies one on a laptop; see Settings),
        and it is the same on every engine, so DuckDB, PostgreSQL and Redshift agree (the
        salt reaches SQL through c360_string_literal, whatever characters it holds). -#}
    {%- set salt = c360_string_literal(env_var('C360_PII_SALT')) -%}
    {{ return(adapter.dispatch('c360_pii_hash')("(" ~ salt ~ ") || " ~ expression)) }}
{% endmacro %}

{% macro default__c360_pii_hash(salted) %}
    encode(sha256(convert_to({{ salted }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro duckdb__c360_pii_hash(salted) %}
    sha256({{ salted }})
{%- endmacro %}

{% macro redshift__c360_pii_hash(salted) %}
    sha2({{ salted }}, 256)
{%- endmacro %}

{% macro c360_grant_schema_usage() %}
    {#- on-run-end: whoever may select a model built in this run (its `grants` config, from
        dbt_project.yml) may also use its schema, which table grants alone do not give on
        PostgreSQL and Redshift. A grantee `role:name` (Redshift) becomes `role name`. -#}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set usage = {} -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.schema in schemas -%}
            {%- for grantee in (node.config.grants or {}).get('select', []) -%}
                {%- set grantees = usage.get(node.schema, []) -%}
                {%- if grantee not in grantees -%}
                    {%- do usage.update({node.schema: grantees + [grantee]}) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for schema, grantees in usage.items() | sort -%}
        {%- for grantee in grantees -%}
            {%- do statements.append(
                'grant usage on schema ' ~ adapter.quote(schema) ~ ' to ' ~ grantee | replace(':', ' ')
            ) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(statements | join(';\n') if statements else 'select 1') }}
{% endmacro %}
