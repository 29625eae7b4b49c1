{% macro c360_ratio(numerator, denominator, scale=2, input_scale=2) %}
    {#- numerator / denominator rounded half away from zero to `scale` decimals, exactly and
        alike on every engine; null when the denominator is 0 or null. Both inputs must have
        at most `input_scale` decimals (money, counts). -#}
    {{ return(adapter.dispatch('c360_ratio')(numerator, denominator, scale, input_scale)) }}
{% endmacro %}

{% macro default__c360_ratio(numerator, denominator, scale, input_scale) %}
    {#- PostgreSQL and Redshift divide numerics exactly. -#}
    round(cast({{ numerator }} as numeric(38, 12)) / nullif({{ denominator }}, 0), {{ scale }})
{%- endmacro %}

{% macro duckdb__c360_ratio(numerator, denominator, scale, input_scale) %}
    {#- DuckDB divides decimals as doubles (0.29 / 2 = 0.14499...), so the quotient is taken
        on whole numbers: both scaled to integers, then integer division with a half added. -#}
    {%- set whole_numerator = "cast(abs(" ~ numerator ~ ") * " ~ 10 ** input_scale ~ " as hugeint)" -%}
    {%- set whole_denominator = "cast(abs(" ~ denominator ~ ") * " ~ 10 ** input_scale ~ " as hugeint)" -%}
    {%- set unit = '1' if scale == 0 else '0.' ~ '0' * (scale - 1) ~ '1' -%}
    case
        when {{ denominator }} != 0 then
            cast(
                sign({{ numerator }}) * sign({{ denominator }})
                * (
                    ({{ whole_numerator }} * {{ 2 * 10 ** scale }} + {{ whole_denominator }})
                    // (2 * {{ whole_denominator }})
                ) as decimal(18, 0)
            ) * cast('{{ unit }}' as decimal(18, {{ scale }}))
    end
{%- endmacro %}
