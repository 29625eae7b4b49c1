{#
    Models land in the schema their folder names (staging, analytics, ...), not in
    <target schema>_<custom schema>: the app and Spectrum address them by those names. See
    c360_schema for the developer prefix and the audit schemas of write-audit-publish.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set base = target.schema if custom_schema_name is none else custom_schema_name | trim -%}
    {{ c360_schema(base) }}
{%- endmacro %}

{% macro c360_schema(base, audit=none) %}
    {#- The schema a layer builds into. On PostgreSQL and Redshift, env var
        C360_SCHEMA_PREFIX (e.g. `alice_`, `ci_1234_`) keeps a developer's or a CI run's
        schemas apart from everyone else's on the same server; production leaves it empty.
        When c360 builds for write-audit-publish (var c360_audit), the published layers
        (var c360_published_schemas) build into `<schema>__audit`, which c360_publish_audit
        then swaps in. When `c360 review` builds a change (var c360_review: the review's
        name, or true), every layer builds into `<schema>__review_<name>` (or
        `<schema>__review`), and what the change did not touch is read from the published
        schemas (dbt's --defer). DuckDB has none of these: its audit copy is the warehouse
        file itself, and a review builds into a copy of the published file. -#}
    {%- set audit = var('c360_audit', false) if audit is none else audit -%}
    {%- if target.type == 'duckdb' -%}
        {{ return(base) }}
    {%- endif -%}
    {%- set prefix = env_var('C360_SCHEMA_PREFIX', '') -%}
    {%- set review = var('c360_review', false) -%}
    {%- if review -%}
        {{ return(prefix ~ base ~ '__review' ~ ('_' ~ review if review is string else '')) }}
    {%- endif -%}
    {%- set suffix = '__audit' if audit and base in var('c360_published_schemas') else '' -%}
    {{ return(prefix ~ base ~ suffix) }}
{% endmacro %}
