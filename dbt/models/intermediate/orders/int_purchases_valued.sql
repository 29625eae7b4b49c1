{#- The purchases as of "today", one row per customer and order: an order is a purchase
    when it is still worth something once its cancelled lines and the lines returned by
    "today" are out. An order returned in full is not one, so every purchase has revenue.
    Each line counts for the customer it names. Revenue and margin are
    int_order_lines_costed's; margin is unknown (null) when a kept line's cost is. The
    customer marts (through int_customer_orders_summarized) and cohort_retention count
    purchases here, and nowhere else. -#}
with

sold_lines as (
    select * from {{ ref('int_order_lines_costed') }}
    where not is_cancelled
),

customer_orders as (
    select
        customer_id,
        order_id,
        min(order_date) as order_date,
        min(ordered_at) as ordered_at,
        sum(case when is_completed then quantity else 0 end) as units,
        sum(net_revenue) as net_revenue,
        case when count(gross_margin) = count(*) then sum(gross_margin) end as gross_margin
    from sold_lines
    group by customer_id, order_id
),

final as (
    select
        customer_id,
        order_id,
        order_date,
        ordered_at,
        cast(units as integer) as units,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast(gross_margin as numeric(18, 2)) as gross_margin
    from customer_orders
    where net_revenue > 0
)

select * from final
