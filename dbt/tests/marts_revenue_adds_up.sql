{#- Revenue is defined once (fct_order_lines.net_revenue) and every mart that sums it
    gives the same total. Fails on each mart whose total differs from the facts'. -#}
with

facts as (
    select coalesce(sum(net_revenue), 0) as net_revenue from {{ ref('fct_order_lines') }}
),

marts as (
    select 'monthly_revenue' as mart, coalesce(sum(net_revenue), 0) as net_revenue
    from {{ ref('monthly_revenue') }}
    union all
    select 'customer_lifetime_value' as mart, coalesce(sum(net_revenue), 0) as net_revenue
    from {{ ref('customer_lifetime_value') }}
    union all
    select 'cohort_retention' as mart, coalesce(sum(revenue), 0) as net_revenue
    from {{ ref('cohort_retention') }}
    union all
    select 'geo_revenue' as mart, coalesce(sum(net_revenue), 0) as net_revenue
    from {{ ref('geo_revenue') }}
    union all
    select 'demand_forecast_base' as mart, coalesce(sum(net_revenue), 0) as net_revenue
    from {{ ref('demand_forecast_base') }}
)

select
    marts.mart,
    marts.net_revenue,
    facts.net_revenue as facts_net_revenue
from marts
cross join facts
where marts.net_revenue != facts.net_revenue
