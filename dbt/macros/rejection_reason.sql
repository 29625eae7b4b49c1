{% macro rejection_reason(rules) %}
    {#- The first rule a row breaks, as text; null when it breaks none. -#}
    case
    {%- for condition, reason in rules %}
        when {{ condition }} then '{{ reason }}'
    {%- endfor %}
    end
{%- endmacro %}


{% macro unparseable(text_column, typed_column) %}
    {#- A value was given but did not cast: not the same as a missing value. -#}
    ({{ text_column }} is not null and trim({{ text_column }}) != '' and {{ typed_column }} is null)
{%- endmacro %}
