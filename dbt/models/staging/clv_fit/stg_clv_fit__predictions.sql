{#- The CLV models' predictions per customer, as c360/warehouse/clv_fit.py wrote them at
    this build. -#}
with

source as (
    select * from {{ source('clv_fit', 'clv_fit_predictions') }}
),

final as (
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(probability_alive as double precision) as probability_alive,
        cast(expected_purchases_90d as double precision) as expected_purchases_90d,
        cast(expected_purchases_365d as double precision) as expected_purchases_365d,
        cast(expected_order_value as double precision) as expected_order_value,
        cast(predicted_clv_365d as double precision) as predicted_clv_365d,
        cast(no_purchase_probability_90d as double precision) as no_purchase_probability_90d,
        cast(prediction_note as {{ dbt.type_string() }}) as prediction_note
    from source
)

select * from final
