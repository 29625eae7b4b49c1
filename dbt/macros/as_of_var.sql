{#- var as_of_date, read in one place (its own file so that lint can render a stand-in). -#}

{% macro c360_as_of_var() %}
    {#- var as_of_date as 'YYYY-MM-DD', or none when unset. A YAML date and a string are
        both accepted; anything else stops the build with one line. -#}
    {%- set given = var('as_of_date', none) -%}
    {%- if given is none or given | string | trim == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = given | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{ exceptions.raise_compiler_error("var as_of_date must be a date, YYYY-MM-DD; got " ~ text) }}
    {%- endif -%}
    {{ return(text) }}
{% endmacro %}
