{#- Write-audit-publish on PostgreSQL and Redshift. c360 builds the published layers into
    `<schema>__audit` (c360_schema), tests them there, and only a green build is swapped in
    by c360_publish_audit, in one transaction: readers of the published schemas see the old
    build or the new one, never half of one. The build before stays as `<schema>__previous`
    until the next publish, to compare with or roll back to. -#}

{% macro c360_prepare_audit() %}
    {#- run-operation, before an audited build: an incremental model starts from its
        published table (copied into the audit schema), so it adds only what is new instead
        of rebuilding from scratch. A model not yet published is built in full. -#}
    {%- set statements = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.config.materialized == 'incremental'
            and node.config.schema in var('c360_published_schemas') -%}
            {%- set published = adapter.get_relation(
                database=target.database, schema=c360_schema(node.config.schema, audit=false),
                identifier=node.alias) -%}
            {%- if published is not none -%}
                {%- set audit = api.Relation.create(
                    database=target.database, schema=c360_schema(node.config.schema, audit=true),
                    identifier=node.alias, type='table') -%}
                {%- do statements.append('create schema if not exists ' ~ adapter.quote(audit.schema)) -%}
                {%- do statements.append('drop table if exists ' ~ audit) -%}
                {%- do statements.append('create table ' ~ audit ~ ' (like ' ~ published ~ ')') -%}
                {%- do statements.append('insert into ' ~ audit ~ ' select * from ' ~ published) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if statements -%}
        {%- do run_query('begin;\n' ~ (statements | join(';\n')) ~ ';\ncommit') -%}
    {%- endif -%}
    {{ log('c360_prepare_audit: ' ~ (statements | length // 4) ~ ' incremental table(s) seeded', info=true) }}
{% endmacro %}

{% macro c360_publish_audit() %}
    {#- run-operation: swap every audit schema in for its published one, in one transaction
        (the published one becomes `__previous`, the `__previous` before is dropped). -#}
    {%- set names = [] -%}
    {%- for base in var('c360_published_schemas') -%}
        {%- do names.append(c360_schema(base, audit=false)) -%}
        {%- do names.append(c360_schema(base, audit=true)) -%}
    {%- endfor -%}
    {%- set found = run_query(
        "select schema_name from information_schema.schemata where schema_name in ('"
        ~ (names | join("', '")) ~ "')").columns[0].values() -%}
    {%- set statements = [] -%}
    {%- set swapped = [] -%}
    {%- for base in var('c360_published_schemas') -%}
        {%- set published = c360_schema(base, audit=false) -%}
        {%- set audit = c360_schema(base, audit=true) -%}
        {%- if audit in found -%}
            {%- set previous = published ~ '__previous' -%}
            {%- do statements.append('drop schema if exists ' ~ adapter.quote(previous) ~ ' cascade') -%}
            {%- if published in found -%}
                {%- do statements.append(
                    'alter schema ' ~ adapter.quote(published) ~ ' rename to ' ~ adapter.quote(previous)) -%}
            {%- endif -%}
            {%- do statements.append('alter schema ' ~ adapter.quote(audit) ~ ' rename to ' ~ adapter.quote(published)) -%}
            {%- do swapped.append(published) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not statements -%}
        {{ exceptions.raise_compiler_error('nothing to publish: no audit schema; run `c360 build` first') }}
    {%- endif -%}
    {%- do run_query('begin;\n' ~ (statements | join(';\n')) ~ ';\ncommit') -%}
    {{ log('c360_publish_audit: published ' ~ (swapped | join(', ')), info=true) }}
{% endmacro %}
