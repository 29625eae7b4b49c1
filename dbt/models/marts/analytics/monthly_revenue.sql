{#- Growth compares a month with the calendar month before (and the same month a year
    before) over a spine of every month, so a month without orders is a row of zeros and
    is never skipped over; growth against a month without revenue is null, not zero. -#}
with

order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

customers as (
    select * from {{ ref('int_customer_orders_summarized') }}
),

months as (
    select distinct month_start_date as month_start from {{ ref('dim_dates') }}
),

revenue as (
    select
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
        sum(net_revenue) as net_revenue,
        sum(case when not is_cancelled then line_amount else 0 end) as gross_revenue
    from order_lines
    group by 1
),

-- Purchases are orders not cancelled, seen through their lines not cancelled.
purchases as (
    select
        cast({{ dbt.date_trunc('month', 'order_lines.order_date') }} as date) as month_start,
        count(distinct order_lines.order_id) as orders,
        count(distinct order_lines.customer_id) as customers,
        count(distinct case
            when order_lines.order_date = customers.first_purchase_date then order_lines.customer_id
        end) as new_customers
    from order_lines
    inner join customers
        on order_lines.customer_id = customers.customer_id
    where not order_lines.is_cancelled
    group by 1
),

bounds as (
    select
        min(month_start) as first_month,
        max(month_start) as last_month
    from purchases
),

monthly as (
    select
        months.month_start,
        coalesce(purchases.orders, 0) as orders,
        coalesce(purchases.customers, 0) as customers,
        coalesce(purchases.new_customers, 0) as new_customers,
        coalesce(revenue.gross_revenue, 0) as gross_revenue,
        coalesce(revenue.net_revenue, 0) as net_revenue
    from months
    inner join bounds
        on months.month_start between bounds.first_month and bounds.last_month
    left join purchases
        on months.month_start = purchases.month_start
    left join revenue
        on months.month_start = revenue.month_start
),

compared as (
    select
        *,
        lag(net_revenue, 1) over (order by month_start) as previous_month_net_revenue,
        lag(net_revenue, 12) over (order by month_start) as previous_year_net_revenue
    from monthly
),

final as (
    select
        month_start,
        cast(orders as bigint) as orders,
        cast(customers as bigint) as customers,
        cast(new_customers as bigint) as new_customers,
        cast(customers - new_customers as bigint) as returning_customers,
        cast(gross_revenue as numeric(18, 2)) as gross_revenue,
        cast(gross_revenue - net_revenue as numeric(18, 2)) as returned_revenue,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast({{ c360_ratio('net_revenue', 'orders') }} as numeric(18, 2)) as average_order_value,
        cast(
            {{ c360_ratio(
                'net_revenue - previous_month_net_revenue', 'previous_month_net_revenue', scale=4
            ) }} as numeric(18, 4)
        ) as net_revenue_mom_growth,
        cast(
            {{ c360_ratio(
                'net_revenue - previous_year_net_revenue', 'previous_year_net_revenue', scale=4
            ) }} as numeric(18, 4)
        ) as net_revenue_yoy_growth
    from compared
)

select * from final
