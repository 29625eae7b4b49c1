{#- The one customer-grain summary of purchases that the customer marts read (lifetime
    value, RFM, churn, cohorts, customer_360). A purchase is an order not cancelled, seen
    through its lines not cancelled, each counted for the customer the line names;
    revenue and margin are int_order_lines_costed's net_revenue and gross_margin. -#}
with

purchase_lines as (
    select * from {{ ref('int_order_lines_costed') }}
    where not is_cancelled
),

purchase_days as (
    select
        customer_id,
        order_date,
        sum(net_revenue) as net_revenue
    from purchase_lines
    group by customer_id, order_date
),

ranked_days as (
    select
        *,
        row_number() over (partition by customer_id order by order_date) as purchase_day_number
    from purchase_days
),

by_day as (
    select
        customer_id,
        count(*) as purchase_days,
        min(order_date) as first_purchase_date,
        max(order_date) as last_purchase_date,
        coalesce(
            {{ c360_ratio(
                'sum(case when purchase_day_number > 1 then net_revenue end)',
                'sum(case when purchase_day_number > 1 then 1 else 0 end)',
            ) }},
            0
        ) as repeat_day_net_revenue
    from ranked_days
    group by customer_id
),

by_line as (
    select
        customer_id,
        count(distinct order_id) as orders,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        sum(quantity) as units,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin
    from purchase_lines
    group by customer_id
),

final as (
    select
        by_line.customer_id,
        by_line.orders,
        by_line.units,
        by_line.first_order_at,
        by_line.last_order_at,
        by_day.first_purchase_date,
        by_day.last_purchase_date,
        by_day.purchase_days,
        cast(by_line.net_revenue as numeric(18, 2)) as net_revenue,
        cast(by_line.gross_margin as numeric(18, 2)) as gross_margin,
        cast(by_day.repeat_day_net_revenue as numeric(18, 2)) as repeat_day_net_revenue,
        {{ c360_as_of_date() }} as as_of_date
    from by_line
    inner join by_day
        on by_line.customer_id = by_day.customer_id
)

select * from final
