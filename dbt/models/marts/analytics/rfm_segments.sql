{#- Recency, frequency and monetary value as of "today", each scored 1-5 by the share of
    customers with a worse value (c360_quintile_score; 5 = best: most recent, most
    purchases, most revenue). Customers with equal values get equal scores: a tie is never
    split by id, so when 60 % bought once, all of them have frequency score 1. The segment
    comes from the rfm_segment_map seed by recency and frequency score. -#}
with

customers as (
    select * from {{ ref('int_customer_orders_summarized') }}
),

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

measured as (
    select
        customer_id,
        last_purchase_date,
        as_of_date,
        orders,
        net_revenue,
        {{ dbt.datediff('last_purchase_date', 'as_of_date', 'day') }} as recency_days
    from customers
),

scored as (
    select
        *,
        {{ c360_quintile_score('recency_days', best='lowest') }} as recency_score,
        {{ c360_quintile_score('orders') }} as frequency_score,
        {{ c360_quintile_score('net_revenue') }} as monetary_score
    from measured
),

final as (
    select
        scored.customer_id,
        scored.last_purchase_date,
        cast(scored.recency_days as integer) as recency_days,
        cast(scored.orders as integer) as frequency,
        scored.net_revenue as monetary,
        cast(scored.recency_score as integer) as recency_score,
        cast(scored.frequency_score as integer) as frequency_score,
        cast(scored.monetary_score as integer) as monetary_score,
        {{ dbt.concat([
            'cast(scored.recency_score as ' ~ dbt.type_string() ~ ')',
            'cast(scored.frequency_score as ' ~ dbt.type_string() ~ ')',
            'cast(scored.monetary_score as ' ~ dbt.type_string() ~ ')',
        ]) }} as rfm_code,
        segment_map.segment,
        scored.as_of_date
    from scored
    left join segment_map
        on
            scored.recency_score = segment_map.recency_score
            and scored.frequency_score = segment_map.frequency_score
)

select * from final
