with

orders as (
    select * from {{ ref('int_orders_aggregated') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
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
        orders.is_cancelled
    from orders
    left join customers
        on
            orders.customer_id = customers.customer_id
            and {{ c360_valid_at('customers', 'orders.ordered_at') }}
)

select * from final
