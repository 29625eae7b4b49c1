{#- Recency, frequency and monetary value as of as_of_date, each scored 1-5 by quintile
    (5 = best: most recent, most orders, most revenue), ties broken by customer_id so the
    same data always gives the same scores; the segment comes from the rfm_segment_map seed
    by recency and frequency score. -#}
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
        ntile(5) over (order by recency_days desc, customer_id asc) as recency_score,
        ntile(5) over (order by orders, customer_id) as frequency_score,
        ntile(5) over (order by net_revenue, customer_id) as monetary_score
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
