with

order_lines as (
    select * from "c360"."staging"."stg_shop__transactions"
),

customers as (
    select * from "c360"."core"."dim_customers"
),

products as (
    select * from "c360"."core"."dim_products"
),

-- Point in time: each line joins the customer and product versions valid when it was ordered.
joined as (
    select
        order_lines.transaction_id,
        order_lines.order_id,
        customers.customer_sk,
        products.product_sk,
        order_lines.customer_id,
        order_lines.product_id,
        cast(order_lines.ordered_at as date) as order_date,
        customers.country_code,
        order_lines.channel,
        order_lines.payment_method,
        order_lines.status,
        order_lines.quantity,
        order_lines.unit_price,
        order_lines.discount_amount,
        order_lines.line_amount,
        order_lines.status = 'completed' as is_completed,
        order_lines.status = 'returned' as is_returned,
        order_lines.status = 'cancelled' as is_cancelled,
        order_lines.ordered_at,
        order_lines.updated_at
    from order_lines
    left join customers
        on
            order_lines.customer_id = customers.customer_id
            and order_lines.ordered_at >= customers.valid_from
    and (customers.valid_to is null or order_lines.ordered_at < customers.valid_to)
    left join products
        on
            order_lines.product_id = products.product_id
            and order_lines.ordered_at >= products.valid_from
    and (products.valid_to is null or order_lines.ordered_at < products.valid_to)
),

final as (
    select * from joined
)

select * from final