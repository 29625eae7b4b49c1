{#- Every day from the first to the last that a fact is dated (an order placed or returned,
    a sign-up, an event), as of "today"; a point-in-time build runs to its as_of_date. -#}
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

day_numbers as (
    {{ c360_day_numbers() }}
),

spine as (
    select
        cast(
            {{ dbt.dateadd('day', 'day_numbers.day_number', 'bounds.first_day') }} as date
        ) as date_day
    from day_numbers
    cross join bounds
    where day_numbers.day_number <= {{ dbt.datediff('bounds.first_day', 'bounds.last_day', 'day') }}
),

final as (
    select
        date_day,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(quarter from date_day) as integer) as quarter_number,
        cast(extract(month from date_day) as integer) as month_number,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(dow from date_day) as integer) as day_of_week,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start_date,
        extract(dow from date_day) in (0, 6) as is_weekend
    from spine
)

select * from final
