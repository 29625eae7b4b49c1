{#- Every day from the first to the last that a fact is dated (an order placed or returned,
    a sign-up, an event), as of "today"; a point-in-time build runs to its as_of_date. The
    days and their attributes are c360_calendar's. -#}
with

order_lines as (
    select
        ordered_at,
        case when {{ c360_known_by_as_of('returned_at') }} then returned_at end as returned_at
    from {{ ref('stg_shop__transactions') }}
    where {{ c360_known_by_as_of('ordered_at') }}
),

customers as (
    select signup_at from {{ ref('stg_shop__customers') }}
    where {{ c360_known_by_as_of('signup_at') }}
),

events as (
    select occurred_at from {{ ref('stg_web__events') }}
    where {{ c360_known_by_as_of('occurred_at') }}
),

bounds as (
    select
        min(first_day) as first_day,
        max(last_day) as last_day
    from (
        select
            cast(min(ordered_at) as date) as first_day,
            cast(max(ordered_at) as date) as last_day
        from order_lines
        union all
        select
            cast(min(returned_at) as date) as first_day,
            cast(max(returned_at) as date) as last_day
        from order_lines
        union all
        select
            cast(min(signup_at) as date) as first_day,
            cast(max(signup_at) as date) as last_day
        from customers
        union all
        select
            cast(min(occurred_at) as date) as first_day,
            cast(max(occurred_at) as date) as last_day
        from events
        {%- if c360_as_of_var() is not none %}
            union all
            select
                {{ c360_as_of_date() }} as first_day,
                {{ c360_as_of_date() }} as last_day
        {%- endif %}
    ) as spans
),

final as (
    {{ c360_calendar('bounds') }}
)

select * from final
