{% macro c360_band(value, bands) %}
    {#- The name of the first band whose up_to the value does not exceed: bands is a list
        of {name, up_to} from a var, lowest up_to first (e.g. var c360_clv_tiers). -#}
    case
        {%- for band in bands %}
        when {{ value }} <= {{ band['up_to'] }} then '{{ band['name'] }}'
        {%- endfor %}
    end
{%- endmacro %}
