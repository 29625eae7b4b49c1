{% macro c360_day_numbers(max_days=100000) %}
    {#- 0 .. max_days - 1 from cross-joined digits: portable where generate_series is not
        (Redshift's runs only on the leader node). -#}
    {%- set digits = (max_days - 1) | string | length -%}
    select
        {% for position in range(digits) -%}
        digit_{{ position }}.n * {{ 10 ** position }}{{ " + " if not loop.last }}
        {%- endfor %} as day_number
    from
        {% for position in range(digits) -%}
        (
            select 0 as n union all select 1 union all select 2 union all select 3
            union all select 4 union all select 5 union all select 6 union all select 7
            union all select 8 union all select 9
        ) as digit_{{ position }}{{ "\n        cross join " if not loop.last }}
        {%- endfor %}
{% endmacro %}
