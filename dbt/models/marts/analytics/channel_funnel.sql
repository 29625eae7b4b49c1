{#- The purchase funnel of web sessions by marketing channel (utm_medium) and source
    (utm_source) of their first event. A session reaches a step when it did that and every
    step before it (a strict funnel), so each step holds at most the sessions of the one
    before and every rate is in [0, 1]. -#}
with

sessions as (
    select
        coalesce(utm_medium, '(none)') as channel,
        coalesce(utm_source, '(direct)') as utm_source,
        has_product_view,
        has_product_view and has_add_to_cart as reached_add_to_cart,
        has_product_view and has_add_to_cart and has_begin_checkout as reached_begin_checkout,
        has_product_view and has_add_to_cart and has_begin_checkout
        and has_purchase as reached_purchase
    from {{ ref('fct_sessions') }}
),

counted as (
    select
        channel,
        utm_source,
        count(*) as step_1,
        sum(case when has_product_view then 1 else 0 end) as step_2,
        sum(case when reached_add_to_cart then 1 else 0 end) as step_3,
        sum(case when reached_begin_checkout then 1 else 0 end) as step_4,
        sum(case when reached_purchase then 1 else 0 end) as step_5
    from sessions
    group by channel, utm_source
),

funnel_steps as (
    select
        'session' as step,
        1 as step_number
    union all
    select
        'product_view' as step,
        2 as step_number
    union all
    select
        'add_to_cart' as step,
        3 as step_number
    union all
    select
        'begin_checkout' as step,
        4 as step_number
    union all
    select
        'purchase' as step,
        5 as step_number
),

steps as (
    select
        counted.channel,
        counted.utm_source,
        funnel_steps.step,
        funnel_steps.step_number,
        case funnel_steps.step_number
            when 1 then counted.step_1
            when 2 then counted.step_2
            when 3 then counted.step_3
            when 4 then counted.step_4
            when 5 then counted.step_5
        end as sessions,
        case funnel_steps.step_number
            when 1 then counted.step_1
            when 2 then counted.step_1
            when 3 then counted.step_2
            when 4 then counted.step_3
            when 5 then counted.step_4
        end as previous_step_sessions,
        counted.step_1 as all_sessions
    from counted
    cross join funnel_steps
),

final as (
    select
        channel,
        utm_source,
        step,
        cast(step_number as integer) as step_number,
        cast(sessions as bigint) as sessions,
        cast(
            {{ c360_ratio('sessions', 'previous_step_sessions', scale=4, input_scale=0) }}
            as numeric(18, 4)
        ) as step_conversion_rate,
        cast(
            {{ c360_ratio('sessions', 'all_sessions', scale=4, input_scale=0) }} as numeric(18, 4)
        ) as overall_conversion_rate
    from steps
)

select * from final
