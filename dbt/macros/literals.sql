{% macro c360_string_literal(text) %}
    {#- `text` as a SQL string expression that means the same on every engine: Redshift reads
        a backslash in a literal as an escape, and PostgreSQL and DuckDB do not, so the quote,
        the backslash and the percent sign (a placeholder to drivers binding parameters) are
        spelled chr(39), chr(92) and chr(37), e.g. 'a' || chr(92) || 'b'. -#}
    {%- set special = {"'": 39, "\\": 92, "%": 37} -%}
    {%- set parts = [] -%}
    {%- set run = [] -%}
    {%- for character in (text | string) -%}
        {%- if character in special -%}
            {%- if run -%}
                {%- do parts.append("'" ~ (run | join) ~ "'") -%}
                {%- do run.clear() -%}
            {%- endif -%}
            {%- do parts.append("chr(" ~ special[character] ~ ")") -%}
        {%- else -%}
            {%- do run.append(character) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if run or not parts -%}
        {%- do parts.append("'" ~ (run | join) ~ "'") -%}
    {%- endif -%}
    {{ return(parts | join(" || ")) }}
{% endmacro %}
