{#- Revenue is defined once (fct_order_lines.net_revenue) and every mart that sums it
    gives the same total. Fails on each mart whose total differs from the facts'. -#}
with

facts as (
    select coalesce(sum(net_revenue), 0) as net_revenue from {{ ref('fct_order_lines') }}
),

{%- set marts = {
    'monthly_revenue': 'net_revenue',
    'customer_lifetime_value': 'net_revenue',
    'cohort_retention': 'revenue',
    'geo_revenue': 'net_revenue',
    'demand_forecast_base': 'net_revenue',
    'product_performance': 'net_revenue',
    'customer_360': 'net_revenue',
} %}

marts as (
    {%- for mart, column in marts.items() %}
    select
        '{{ mart }}' as mart,
        coalesce(sum({{ column }}), 0) as net_revenue
    from {{ ref(mart) }}
    {{ "union all" if not loop.last }}
    {%- endfor %}
)

select
    marts.mart,
    marts.net_revenue,
    facts.net_revenue as facts_net_revenue
from marts
cross join facts
where marts.net_revenue != facts.net_revenue
