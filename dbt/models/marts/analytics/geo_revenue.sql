{#- Revenue by the country of the customer version valid when the order was placed (so a
    customer who moved counts where they lived then), by month. A line whose customer has no
    known country (an inferred member, or none given) counts under 'XX', region Unknown. -#}
with

order_lines as (
    select * from {{ ref('fct_order_lines') }}
    where not is_cancelled
),

geographies as (
    select * from {{ ref('dim_geographies') }}
),

monthly as (
    select
        coalesce(country_code, 'XX') as country_code,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
        count(distinct order_id) as orders,
        count(distinct customer_id) as customers,
        sum(net_revenue) as net_revenue
    from order_lines
    group by coalesce(country_code, 'XX'), cast({{ dbt.date_trunc('month', 'order_date') }} as date)
),

final as (
    select
        monthly.country_code,
        coalesce(geographies.country_name, 'Unknown') as country_name,
        coalesce(geographies.region, 'Unknown') as region,
        monthly.month_start,
        cast(monthly.orders as bigint) as orders,
        cast(monthly.customers as bigint) as customers,
        cast(monthly.net_revenue as numeric(18, 2)) as net_revenue,
        geographies.latitude,
        geographies.longitude
    from monthly
    left join geographies
        on monthly.country_code = geographies.country_code
)

select * from final
