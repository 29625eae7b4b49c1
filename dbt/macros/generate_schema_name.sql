{#
    Models land in the schema their folder names (staging, analytics, ...), not in
    <target schema>_<custom schema>: the app and Spectrum address them by those names.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
