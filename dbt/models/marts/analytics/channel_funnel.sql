{#- The purchase funnel by marketing channel (utm_medium) and source (utm_source), counted
    two ways (the `funnel` column):

    in_session: sessions, by the channel of their first event. A session reaches a step
      when it did that and every step before it in the same session (a strict funnel).
      Strict, and short: a cart on Monday and a purchase on Tuesday are two sessions,
      neither of which purchased in this sense.
    journey: people (the stitched customer, or the device where no customer is known), by
      the channel of their first event. A person's journey starts at their first visit;
      it reaches a step when they did it within var c360_funnel_journey_days of that start,
      after reaching the step before (product view, add to cart, begin checkout, purchase,
      in that order). A cart on Monday and a purchase on Tuesday is a converted journey.

    Each step holds at most the count of the one before, so every rate is in [0, 1]. -#}
{%- set journey_days = var('c360_funnel_journey_days') -%}
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

in_session as (
    select
        'in_session' as funnel,
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

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

-- Each event with the person it belongs to: the customer logged in, else the device's
-- owner, else the device (a shared device's anonymous events stay the device's).
people_events as (
    select
        coalesce(
            'customer:' || coalesce(events.customer_id, identities.customer_id),
            'device:' || events.anonymous_id
        ) as person_id,
        events.event_id,
        events.event_type,
        events.occurred_at,
        events.utm_medium,
        events.utm_source
    from {{ ref('fct_events') }} as events
    left join identities
        on events.anonymous_id = identities.anonymous_id
),

first_events as (
    select
        person_id,
        occurred_at as started_at,
        coalesce(utm_medium, '(none)') as channel,
        coalesce(utm_source, '(direct)') as utm_source,
        {{ dbt.dateadd('day', journey_days, 'occurred_at') }} as window_ends_at
    from (
        select
            *,
            row_number() over (partition by person_id order by occurred_at, event_id) as event_number
        from people_events
    ) as numbered
    where event_number = 1
),

{%- set steps = ['product_view', 'add_to_cart', 'begin_checkout', 'purchase'] %}
{%- for step in steps %}
{%- set previous = 'first_events.started_at' if loop.first else 'reached_' ~ steps[loop.index0 - 1] ~ '.reached_at' %}

-- The first {{ step }} after the step before, within the journey's window.
reached_{{ step }} as (
    select
        first_events.person_id,
        min(people_events.occurred_at) as reached_at
    from first_events
    {%- if not loop.first %}
    inner join reached_{{ steps[loop.index0 - 1] }}
        on first_events.person_id = reached_{{ steps[loop.index0 - 1] }}.person_id
    {%- endif %}
    inner join people_events
        on
            first_events.person_id = people_events.person_id
            and people_events.event_type = '{{ step }}'
            and people_events.occurred_at >= {{ previous }}
            and people_events.occurred_at <= first_events.window_ends_at
    group by first_events.person_id
),
{%- endfor %}

journey as (
    select
        'journey' as funnel,
        first_events.channel,
        first_events.utm_source,
        count(*) as step_1,
        count(reached_product_view.person_id) as step_2,
        count(reached_add_to_cart.person_id) as step_3,
        count(reached_begin_checkout.person_id) as step_4,
        count(reached_purchase.person_id) as step_5
    from first_events
    {%- for step in steps %}
    left join reached_{{ step }}
        on first_events.person_id = reached_{{ step }}.person_id
    {%- endfor %}
    group by first_events.channel, first_events.utm_source
),

counted as (
    select * from in_session
    union all
    select * from journey
),

funnel_steps as (
    select
        'visit' as step,
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
        counted.funnel,
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
        end as reached,
        case funnel_steps.step_number
            when 1 then counted.step_1
            when 2 then counted.step_1
            when 3 then counted.step_2
            when 4 then counted.step_3
            when 5 then counted.step_4
        end as previous_step_reached,
        counted.step_1 as entered
    from counted
    cross join funnel_steps
),

final as (
    select
        cast(funnel as {{ dbt.type_string() }}) as funnel,
        channel,
        utm_source,
        cast(step as {{ dbt.type_string() }}) as step,
        cast(step_number as integer) as step_number,
        cast(reached as bigint) as reached,
        cast(
            {{ c360_ratio('reached', 'previous_step_reached', scale=4, input_scale=0) }}
            as numeric(18, 4)
        ) as step_conversion_rate,
        cast(
            {{ c360_ratio('reached', 'entered', scale=4, input_scale=0) }} as numeric(18, 4)
        ) as overall_conversion_rate
    from steps
)

select * from final
