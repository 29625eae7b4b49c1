{% macro c360_band(value, bands) %}
    {#- The name of the first band whose up_to the value does not exceed: bands is a list
        of {name, up_to} from a var, lowest up_to first (e.g. var c360_clv_tiers). Cast to
        the string type: a CASE of literals has no type a contract can check on Redshift. -#}
    cast(
        case
            {%- for band in bands %}
            when {{ value }} <= {{ band['up_to'] }} then {{ c360_string_literal(band['name']) }}
            {%- endfor %}
        end as {{ dbt.type_string() }}
    )
{%- endmacro %}
