with

order_lines as (
    select * from "c360"."core"."fct_order_lines"
),

sold as (
    select
        cast(date_trunc('month', ordered_at) as date) as month_start,
        order_id,
        customer_id,
        is_returned,
        line_amount
    from order_lines
    where not is_cancelled
),

monthly as (
    select
        month_start,
        count(distinct order_id) as orders,
        count(distinct customer_id) as customers,
        cast(sum(line_amount) as numeric(18, 2)) as gross_revenue,
        cast(
            sum(case when is_returned then line_amount else 0 end) as numeric(18, 2)
        ) as returned_revenue
    from sold
    group by month_start
),

final as (
    select
        month_start,
        orders,
        customers,
        gross_revenue,
        returned_revenue,
        cast(gross_revenue - returned_revenue as numeric(18, 2)) as net_revenue,
        cast(
            (gross_revenue - returned_revenue) / nullif(orders, 0) as numeric(18, 2)
        ) as average_order_value,
        cast(
            (gross_revenue - returned_revenue)
            / nullif(lag(gross_revenue - returned_revenue) over (order by month_start), 0)
            - 1 as numeric(18, 4)
        ) as net_revenue_mom_growth
    from monthly
)

select * from final