with

order_lines as (
    select * from {{ ref('stg_shop__transactions') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

products as (
    select * from {{ ref('dim_products') }}
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
        products.unit_cost,
        -- Revenue is defined here once: a completed line keeps its amount; a returned line
        -- gives it back and a cancelled one never had it.
        cast(
            case when order_lines.status = 'completed' then order_lines.line_amount else 0 end
            as numeric(18, 2)
        ) as net_revenue,
        cast(
            case
                when order_lines.status != 'completed' then 0
                else order_lines.quantity * products.unit_cost
            end as numeric(18, 2)
        ) as cost_amount,
        order_lines.status = 'completed' as is_completed,
        order_lines.status = 'returned' as is_returned,
        order_lines.status = 'cancelled' as is_cancelled,
        order_lines.ordered_at,
        order_lines.updated_at
    from order_lines
    left join customers
        on
            order_lines.customer_id = customers.customer_id
            and {{ c360_valid_at('customers', 'order_lines.ordered_at') }}
    left join products
        on
            order_lines.product_id = products.product_id
            and {{ c360_valid_at('products', 'order_lines.ordered_at') }}
),

final as (
    select
        *,
        cast(net_revenue - cost_amount as numeric(18, 2)) as gross_margin
    from joined
)

select * from final
