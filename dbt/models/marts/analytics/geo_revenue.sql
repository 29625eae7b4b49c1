{#- Revenue by the country of the customer version valid when the order was placed (so a
    customer who moved counts where they lived then), by month, booked as monthly_revenue
    books it: a sale in the month it was ordered, a return in the month it was returned. A
    line whose customer has no known country (an inferred member, or none given) counts
    under 'XX', region Unknown. -#}
with

sold_lines as (
    select
        *,
        coalesce(country_code, 'XX') as country_key
    from {{ ref('fct_order_lines') }}
    where not is_cancelled
),

geographies as (
    select * from {{ ref('dim_geographies') }}
),

sales as (
    select
        country_key,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
        count(distinct order_id) as orders,
        count(distinct customer_id) as customers,
        sum(line_amount) as gross_revenue
    from sold_lines
    group by country_key, cast({{ dbt.date_trunc('month', 'order_date') }} as date)
),

returns as (
    select
        country_key,
        cast({{ dbt.date_trunc('month', 'returned_at') }} as date) as month_start,
        sum(line_amount) as returned_revenue
    from sold_lines
    where returned_at is not null
    group by country_key, cast({{ dbt.date_trunc('month', 'returned_at') }} as date)
),

-- Every country and month with a sale or a return.
monthly as (
    select
        coalesce(sales.country_key, returns.country_key) as country_code,
        coalesce(sales.month_start, returns.month_start) as month_start,
        coalesce(sales.orders, 0) as orders,
        coalesce(sales.customers, 0) as customers,
        coalesce(sales.gross_revenue, 0) as gross_revenue,
        coalesce(returns.returned_revenue, 0) as returned_revenue
    from sales
    full outer join returns
        on
            sales.country_key = returns.country_key
            and sales.month_start = returns.month_start
),

final as (
    select
        monthly.country_code,
        coalesce(geographies.country_name, 'Unknown') as country_name,
        coalesce(geographies.region, 'Unknown') as region,
        monthly.month_start,
        cast(monthly.orders as bigint) as orders,
        cast(monthly.customers as bigint) as customers,
        cast(monthly.gross_revenue as numeric(18, 2)) as gross_revenue,
        cast(monthly.returned_revenue as numeric(18, 2)) as returned_revenue,
        cast(monthly.gross_revenue - monthly.returned_revenue as numeric(18, 2)) as net_revenue,
        geographies.latitude,
        geographies.longitude
    from monthly
    left join geographies
        on monthly.country_code = geographies.country_code
)

select * from final
