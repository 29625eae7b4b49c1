{#- How likely each customer is to have stopped buying, as of as_of_date, by documented
    rules (vars c360_churn_*):
    - expected interval: the customer's mean days between purchase days (first to last
      purchase day over the repeat purchase days), or c360_churn_default_interval_days for
      a customer who bought on one day only;
    - base score: 50 when the days since the last purchase equal the expected interval,
      in proportion to it (100 at twice the interval or more);
    - engagement: sessions in the last 30 days against the 30 before; fewer takes away
      c360_churn_engagement_points (more risk: added), more gives them back;
    - the score is kept within 0-100, and its band is low, medium or high (c360_churn_bands).
    Beside it, from the BG/NBD model (stg_clv_fit__predictions): churn_probability =
    1 - P(alive), and no_purchase_probability_90d, the chance of no purchase in 90 days. -#}
with

customers as (
    select * from {{ ref('int_customer_orders_summarized') }}
),

predictions as (
    select * from {{ ref('stg_clv_fit__predictions') }}
),

sessions as (
    select * from {{ ref('fct_sessions') }}
    where customer_id is not null
),

engagement as (
    select
        sessions.customer_id,
        sum(case
            when
                sessions.session_date > {{ dbt.dateadd('day', -30, 'customers.as_of_date') }}
                and sessions.session_date <= customers.as_of_date
                then 1
            else 0
        end) as sessions_last_30d,
        sum(case
            when
                sessions.session_date > {{ dbt.dateadd('day', -60, 'customers.as_of_date') }}
                and sessions.session_date <= {{ dbt.dateadd('day', -30, 'customers.as_of_date') }}
                then 1
            else 0
        end) as sessions_prior_30d,
        sum(case
            when
                sessions.session_date > {{ dbt.dateadd('day', -30, 'customers.as_of_date') }}
                and sessions.session_date <= customers.as_of_date
                then sessions.events
            else 0
        end) as events_last_30d
    from sessions
    inner join customers
        on sessions.customer_id = customers.customer_id
    group by sessions.customer_id
),

measured as (
    select
        customers.customer_id,
        customers.last_purchase_date,
        customers.as_of_date,
        customers.purchase_days - 1 as repeat_purchase_days,
        {{ dbt.datediff('customers.last_purchase_date', 'customers.as_of_date', 'day') }}
            as days_since_last_purchase,
        {{ dbt.datediff('customers.first_purchase_date', 'customers.last_purchase_date', 'day') }}
            as purchase_span_days,
        coalesce(engagement.sessions_last_30d, 0) as sessions_last_30d,
        coalesce(engagement.sessions_prior_30d, 0) as sessions_prior_30d,
        coalesce(engagement.events_last_30d, 0) as events_last_30d
    from customers
    left join engagement
        on customers.customer_id = engagement.customer_id
),

scored as (
    select
        *,
        case
            when repeat_purchase_days > 0
                then
                    {{ c360_ratio(
                        'purchase_span_days', 'repeat_purchase_days', scale=1, input_scale=0
                    ) }}
            else {{ var('c360_churn_default_interval_days') }}
        end as expected_interval_days,
        case
            when repeat_purchase_days > 0
                then {{ c360_ratio(
                    'days_since_last_purchase * 50 * repeat_purchase_days',
                    'purchase_span_days',
                    scale=0,
                    input_scale=0,
                ) }}
            else {{ c360_ratio(
                'days_since_last_purchase * 50',
                var('c360_churn_default_interval_days'),
                scale=0,
                input_scale=0,
            ) }}
        end as base_score,
        cast(
            case
                when sessions_last_30d < sessions_prior_30d then 'falling'
                when sessions_last_30d > sessions_prior_30d then 'rising'
                when sessions_last_30d = 0 then 'none'
                else 'steady'
            end as {{ dbt.type_string() }}
        ) as engagement_trend
    from measured
),

final as (
    select
        customer_id,
        last_purchase_date,
        cast(days_since_last_purchase as integer) as days_since_last_purchase,
        cast(expected_interval_days as numeric(18, 1)) as expected_interval_days,
        cast(sessions_last_30d as integer) as sessions_last_30d,
        cast(sessions_prior_30d as integer) as sessions_prior_30d,
        cast(events_last_30d as integer) as events_last_30d,
        engagement_trend,
        cast(least(100, greatest(
            0,
            least(base_score, 100)
            + case engagement_trend
                when 'falling' then {{ var('c360_churn_engagement_points') }}
                when 'rising' then -{{ var('c360_churn_engagement_points') }}
                else 0
            end
        )) as integer) as churn_score,
        as_of_date
    from scored
),

banded as (
    select
        final.*,
        {{ c360_band('final.churn_score', var('c360_churn_bands')) }} as churn_band,
        cast(1 - predictions.probability_alive as numeric(18, 4)) as churn_probability,
        cast(
            predictions.no_purchase_probability_90d as numeric(18, 4)
        ) as no_purchase_probability_90d
    from final
    left join predictions
        on final.customer_id = predictions.customer_id
)

select * from banded
