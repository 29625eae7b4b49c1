{% macro c360_as_of_date() %}
    {#- "Today" for the marts, as a date expression: var as_of_date when set, else the last
        day an order was placed (from fct_orders), never the wall clock. -#}
    {%- set fixed = var('as_of_date', none) -%}
    {%- if fixed is not none -%}
        cast('{{ fixed }}' as date)
    {%- else -%}
        (select max(order_date) from {{ ref('fct_orders') }})
    {%- endif -%}
{% endmacro %}
