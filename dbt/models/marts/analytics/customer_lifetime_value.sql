{#- Historical value (what each customer has spent) beside predicted value (what the
    buy-till-you-die models fitted at this build expect of them). The predictions come from
    source clv_fit (c360/warehouse/clv_fit.py writes it between the two dbt builds of a run); a
    customer the models could not score keeps null predictions, with the reason. -#}
with

summaries as (
    select * from {{ ref('int_customer_orders_summarized') }}
),

predictions as (
    select * from {{ ref('stg_clv_fit__predictions') }}
),

measured as (
    select
        *,
        percent_rank() over (order by net_revenue desc) as clv_rank_share
    from summaries
),

final as (
    select
        measured.customer_id,
        measured.first_order_at,
        measured.last_order_at,
        cast(measured.orders as integer) as orders,
        measured.net_revenue,
        measured.gross_margin,
        cast({{ c360_ratio('measured.net_revenue', 'measured.orders') }} as numeric(18, 2))
            as average_order_value,
        cast(
            {{ c360_ratio(
                'measured.orders * 365.25', 'greatest(measured.tenure_days, 1)', scale=4
            ) }}
            as numeric(18, 4)
        ) as purchases_per_year,
        measured.tenure_days,
        measured.net_revenue as historical_clv,
        {{ c360_band('measured.clv_rank_share', var('c360_clv_tiers')) }} as clv_tier,
        measured.frequency,
        measured.recency_days,
        measured.repeat_day_net_revenue as repeat_monetary_value,
        cast(predictions.probability_alive as numeric(18, 4)) as probability_alive,
        cast(predictions.expected_purchases_90d as numeric(18, 4)) as expected_purchases_90d,
        cast(predictions.expected_purchases_365d as numeric(18, 4)) as expected_purchases_365d,
        cast(predictions.expected_order_value as numeric(18, 2)) as expected_order_value,
        cast(predictions.predicted_clv_365d as numeric(18, 2)) as predicted_clv_365d,
        cast(
            case
                when predictions.customer_id is null then 'not in the fit (build it again)'
                else predictions.prediction_note
            end as {{ dbt.type_string() }}
        ) as prediction_note,
        measured.as_of_date
    from measured
    left join predictions
        on measured.customer_id = predictions.customer_id
)

select * from final
