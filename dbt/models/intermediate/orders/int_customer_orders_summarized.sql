{#- The one customer-grain summary of purchases (int_purchases_valued) that the customer
    marts read (lifetime value, RFM, churn, cohorts, customer_360), as of "today". Every
    purchase has revenue, so every purchase day does too, and repeat monetary value is
    positive whenever frequency is. Margin is unknown (null) when one purchase's is. The
    buy-till-you-die inputs (frequency, recency_days, tenure_days, repeat_day_net_revenue)
    are what c360 fits its CLV models on (c360/warehouse/clv_fit.py), between the two dbt builds. -#}
with

purchases as (
    select * from {{ ref('int_purchases_valued') }}
),

purchase_days as (
    select
        customer_id,
        order_date,
        sum(net_revenue) as net_revenue
    from purchases
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

by_order as (
    select
        customer_id,
        count(*) as orders,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        sum(units) as units,
        sum(net_revenue) as net_revenue,
        case when count(gross_margin) = count(*) then sum(gross_margin) end as gross_margin
    from purchases
    group by customer_id
),

summarized as (
    select
        by_order.customer_id,
        by_order.orders,
        by_order.units,
        by_order.first_order_at,
        by_order.last_order_at,
        by_day.first_purchase_date,
        by_day.last_purchase_date,
        by_day.purchase_days,
        cast(by_order.net_revenue as numeric(18, 2)) as net_revenue,
        cast(by_order.gross_margin as numeric(18, 2)) as gross_margin,
        cast(by_day.repeat_day_net_revenue as numeric(18, 2)) as repeat_day_net_revenue,
        {{ c360_as_of_date() }} as as_of_date
    from by_order
    inner join by_day
        on by_order.customer_id = by_day.customer_id
),

-- The inputs of buy-till-you-die models, in days, as lifetimes'
-- summary_data_from_transaction_data(freq='D') computes them; c360's CLV fit reads them here.
final as (
    select
        *,
        cast(purchase_days - 1 as integer) as frequency,
        cast(
            {{ dbt.datediff('first_purchase_date', 'last_purchase_date', 'day') }} as integer
        ) as recency_days,
        cast(
            {{ dbt.datediff('first_purchase_date', 'as_of_date', 'day') }} as integer
        ) as tenure_days
    from summarized
)

select * from final
