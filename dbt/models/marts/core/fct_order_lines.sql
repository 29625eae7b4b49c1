{#- The order-line fact: int_order_lines_costed (revenue, cost and margin, defined there
    once) with the keys of the customer and product versions valid when the line was
    ordered, and the customer's country then. -#}
with

order_lines as (
    select * from {{ ref('int_order_lines_costed') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

-- A customer's first order day: the first day they ordered a line that was not cancelled
-- (monthly_revenue and the new_customers metric count them new in its month).
first_orders as (
    select
        customer_id,
        min(order_date) as first_order_date
    from order_lines
    where not is_cancelled
    group by customer_id
),

-- Point in time: each line joins the customer and product versions valid when it was ordered.
final as (
    select
        order_lines.transaction_id,
        order_lines.order_id,
        customers.customer_sk,
        products.product_sk,
        order_lines.customer_id,
        order_lines.product_id,
        order_lines.order_date,
        customers.country_code,
        order_lines.channel,
        order_lines.payment_method,
        order_lines.status,
        order_lines.quantity,
        order_lines.unit_price,
        order_lines.discount_amount,
        order_lines.line_amount,
        order_lines.unit_cost,
        order_lines.net_revenue,
        order_lines.cost_amount,
        order_lines.is_completed,
        order_lines.is_returned,
        order_lines.is_cancelled,
        order_lines.ordered_at,
        order_lines.updated_at,
        order_lines.returned_at,
        order_lines.gross_margin,
        first_orders.first_order_date as customer_first_order_date
    from order_lines
    left join customers
        on
            order_lines.customer_id = customers.customer_id
            and {{ c360_valid_at('customers', 'order_lines.ordered_at') }}
    left join products
        on
            order_lines.product_id = products.product_id
            and {{ c360_valid_at('products', 'order_lines.ordered_at') }}
    left join first_orders
        on order_lines.customer_id = first_orders.customer_id
)

select * from final
