with

orders as (
    select * from {{ ref('int_orders_aggregated') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

-- A customer's first order is their first one not cancelled in full (what monthly_revenue
-- and the new_customers metric count as new).
first_orders as (
    select
        customer_id,
        min(cast(ordered_at as date)) as first_order_date
    from orders
    where not is_cancelled
    group by customer_id
),

-- Point in time: the customer version valid when the order was placed.
final as (
    select
        orders.order_id,
        orders.customer_id,
        customers.customer_sk,
        customers.country_code,
        orders.channel,
        cast(orders.ordered_at as date) as order_date,
        orders.ordered_at,
        cast(orders.order_lines as integer) as order_lines,
        cast(orders.units as integer) as units,
        orders.gross_amount,
        orders.returned_amount,
        cast(orders.gross_amount - orders.returned_amount as numeric(18, 2)) as net_amount,
        orders.is_cancelled,
        first_orders.first_order_date as customer_first_order_date
    from orders
    left join customers
        on
            orders.customer_id = customers.customer_id
            and {{ c360_valid_at('customers', 'orders.ordered_at') }}
    left join first_orders
        on orders.customer_id = first_orders.customer_id
)

select * from final
