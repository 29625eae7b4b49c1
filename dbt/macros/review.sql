{% macro c360_drop_review_schemas() %}
    {#- run-operation (var c360_review; PostgreSQL, Redshift): drop every schema the review
        builds into, `<schema>__review[_<name>]` for each layer and the stored test failures, so a
        review starts from nothing (what is not rebuilt must be read from the published
        schemas, which dbt's --defer does only where the review's own relation is missing)
        and leaves nothing behind. -#}
    {%- if not var('c360_review', false) -%}
        {{ exceptions.raise_compiler_error('c360_drop_review_schemas drops review schemas only: run it with var c360_review') }}
    {%- endif -%}
    {%- set schemas = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if '__review' in node.schema and node.schema not in schemas -%}
            {%- do schemas.append(node.schema) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for schema in schemas | sort -%}
        {%- do adapter.drop_schema(api.Relation.create(database=target.database, schema=schema)) -%}
    {%- endfor -%}
    {{ log('c360_drop_review_schemas: ' ~ (schemas | length) ~ ' schema(s) dropped if they existed', info=true) }}
{% endmacro %}
