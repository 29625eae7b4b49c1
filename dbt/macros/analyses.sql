{% macro c360_built_schemas() %}
    {#- The schemas this project builds into, as a quoted SQL list, for the Redshift health
        queries in dbt/analyses/redshift/ to look only at c360's own tables. The graph is only
        there at execution; parsing gets a placeholder. -#}
    {%- if not execute -%}{{ return("''") }}{%- endif -%}
    {%- set found = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.config.materialized != 'ephemeral'
            and node.schema not in found -%}
            {%- do found.append(node.schema) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return("'" ~ (found | sort | join("', '")) ~ "'") }}
{% endmacro %}
