with

summaries as (
    select * from {{ ref('int_customer_orders_summarized') }}
),

measured as (
    select
        *,
        {{ dbt.datediff('first_purchase_date', 'as_of_date', 'day') }} as tenure_days,
        {{ dbt.datediff('first_purchase_date', 'last_purchase_date', 'day') }} as recency_days,
        percent_rank() over (order by net_revenue desc) as clv_rank_share
    from summaries
),

final as (
    select
        customer_id,
        first_order_at,
        last_order_at,
        cast(orders as integer) as orders,
        net_revenue,
        gross_margin,
        cast({{ c360_ratio('net_revenue', 'orders') }} as numeric(18, 2)) as average_order_value,
        cast(
            {{ c360_ratio('orders * 365.25', 'greatest(tenure_days, 1)', scale=4) }}
            as numeric(18, 4)
        ) as purchases_per_year,
        cast(tenure_days as integer) as tenure_days,
        net_revenue as historical_clv,
        {{ c360_band('clv_rank_share', var('c360_clv_tiers')) }} as clv_tier,
        -- The inputs of buy-till-you-die models, as lifetimes' summary_data_from_transaction_data
        -- (freq='D') computes them.
        cast(purchase_days - 1 as integer) as frequency,
        cast(recency_days as integer) as recency_days,
        repeat_day_net_revenue as repeat_monetary_value,
        as_of_date
    from measured
)

select * from final
