{% macro c360_as_of_date() %}
    {#- "Today" for the marts, as a date expression: var as_of_date when set, else the last
        day an order was placed, never the wall clock. -#}
    {%- set fixed = var('as_of_date', none) -%}
    {%- if fixed is not none -%}
        cast('{{ fixed }}' as date)
    {%- else -%}
        (select max(cast(ordered_at as date)) from {{ ref('int_orders_aggregated') }})
    {%- endif -%}
{% endmacro %}
