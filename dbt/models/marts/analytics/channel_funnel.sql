{#- The purchase funnel by marketing channel (utm_medium) and source (utm_source), counted
    two ways (the `funnel` column):

    in_session: sessions, by the channel of their first event. A session reaches a step
      when it did that and every step before it in the same session (a strict funnel).
      Strict, and short: a cart on Monday and a purchase on Tuesday are two sessions,
      neither of which purchased in this sense.
    journey: people (the stitched customer, or the device where no customer is known), by
      the channel of a visit. Every visit (session start) opens a journey of var
      c360_funnel_journey_days days; a journey reaches a step when the person did it within
      that window, after reaching the step before (product view, add to cart, begin
      checkout, purchase, in that order), in any session. A person counts once per channel,
      at the furthest step any of their journeys from that channel reached. A cart on Monday
      and a purchase on Tuesday is a converted journey.

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

-- Every visit (a session's first event) opens a journey of its visitor.
journey_starts as (
    select
        session_id as journey_id,
        coalesce('customer:' || customer_id, 'device:' || anonymous_id) as person_id,
        session_started_at as started_at,
        coalesce(utm_medium, '(none)') as channel,
        coalesce(utm_source, '(direct)') as utm_source,
        {{ dbt.dateadd('day', journey_days, 'session_started_at') }} as window_ends_at
    from {{ ref('fct_sessions') }}
),

{%- set steps = ['product_view', 'add_to_cart', 'begin_checkout', 'purchase'] %}
{%- for step in steps %}
    {%- set previous = steps[loop.index0 - 1] if not loop.first else none %}
    {%- set searched_from = 'journey_starts.started_at' if loop.first
        else 'reached_' ~ previous ~ '.reached_at' %}

    -- The first {{ step }} at or after the step before, within the journey's window: each
    -- search (a journey, from the moment it reached the step before) sorted among the
    -- person's {{ step }} events, an event at the same moment after it, so the next event
    -- is the earliest of those that follow it. A sort per step, however many journeys and
    -- events a person has. (An event's row carries its own id and moment where a search
    -- has its journey and window: a typed null in a UNION has no stable type on Redshift.)
    searching_{{ step }} as (
        select
            journey_starts.journey_id as row_id,
            journey_starts.person_id,
            {{ searched_from }} as searched_at,
            journey_starts.window_ends_at,
            0 as is_event
        from
            journey_starts
        {%- if previous is not none %}
        inner join reached_{{ previous }}
            on journey_starts.journey_id = reached_{{ previous }}.journey_id
        {%- endif %}
        union all
        select
            event_id as row_id,
            person_id,
            occurred_at as searched_at,
            occurred_at as window_ends_at,
            1 as is_event
        from people_events
        where event_type = '{{ step }}'
    ),

    next_{{ step }} as (
        select
            row_id,
            window_ends_at,
            is_event,
            min(case when is_event = 1 then searched_at end) over (
                partition by person_id
                order by searched_at, is_event
                rows between current row and unbounded following
            ) as next_at
        from searching_{{ step }}
    ),

    reached_{{ step }} as (
        select
            row_id as journey_id,
            next_at as reached_at
        from next_{{ step }}
        where is_event = 0 and next_at <= window_ends_at
    ),
{%- endfor %}

-- Per person and the channel of a visit: the furthest step any journey from such a visit
-- reached. Each person counts once per channel, however many visits they made.
people_reached as (
    select
        journey_starts.person_id,
        journey_starts.channel,
        journey_starts.utm_source,
        max(case when reached_product_view.journey_id is null then 0 else 1 end)
            as reached_product_view,
        max(case when reached_add_to_cart.journey_id is null then 0 else 1 end)
            as reached_add_to_cart,
        max(case when reached_begin_checkout.journey_id is null then 0 else 1 end)
            as reached_begin_checkout,
        max(case when reached_purchase.journey_id is null then 0 else 1 end)
            as reached_purchase
    from
        journey_starts
    {%- for step in steps %}
    left join reached_{{ step }}
        on journey_starts.journey_id = reached_{{ step }}.journey_id
    {%- endfor %}
    group by journey_starts.person_id, journey_starts.channel, journey_starts.utm_source
),

journey as (
    select
        'journey' as funnel,
        channel,
        utm_source,
        count(*) as step_1,
        sum(reached_product_view) as step_2,
        sum(reached_add_to_cart) as step_3,
        sum(reached_begin_checkout) as step_4,
        sum(reached_purchase) as step_5
    from people_reached
    group by channel, utm_source
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
