with

order_lines as (
    select ordered_at from "c360"."staging"."stg_shop__transactions"
),

customers as (
    select signup_at from "c360"."staging"."stg_shop__customers"
),

events as (
    select occurred_at from "c360"."staging"."stg_web__events"
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
            cast(min(signup_at) as date) as first_day,
            cast(max(signup_at) as date) as last_day
        from customers
        union all
        select
            cast(min(occurred_at) as date) as first_day,
            cast(max(occurred_at) as date) as last_day
        from events
    ) as spans
),

day_numbers as (
    select
        digit_0.n * 1 + digit_1.n * 10 + digit_2.n * 100 + digit_3.n * 1000 + digit_4.n * 10000 as day_number
    from
        (
            select 0 as n union all select 1 union all select 2 union all select 3
            union all select 4 union all select 5 union all select 6 union all select 7
            union all select 8 union all select 9
        ) as digit_0
        cross join (
            select 0 as n union all select 1 union all select 2 union all select 3
            union all select 4 union all select 5 union all select 6 union all select 7
            union all select 8 union all select 9
        ) as digit_1
        cross join (
            select 0 as n union all select 1 union all select 2 union all select 3
            union all select 4 union all select 5 union all select 6 union all select 7
            union all select 8 union all select 9
        ) as digit_2
        cross join (
            select 0 as n union all select 1 union all select 2 union all select 3
            union all select 4 union all select 5 union all select 6 union all select 7
            union all select 8 union all select 9
        ) as digit_3
        cross join (
            select 0 as n union all select 1 union all select 2 union all select 3
            union all select 4 union all select 5 union all select 6 union all select 7
            union all select 8 union all select 9
        ) as digit_4

),

spine as (
    select
        cast(
            

    dateadd(
        day,
        day_numbers.day_number,
        bounds.first_day
        )

 as date
        ) as date_day
    from day_numbers
    cross join bounds
    where day_numbers.day_number <= datediff(
        day,
        bounds.first_day,
        bounds.last_day
        )
),

final as (
    select
        date_day,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(quarter from date_day) as integer) as quarter_number,
        cast(extract(month from date_day) as integer) as month_number,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(dow from date_day) as integer) as day_of_week,
        cast(date_trunc('month', date_day) as date) as month_start_date,
        cast(date_trunc('week', date_day) as date) as week_start_date,
        extract(dow from date_day) in (0, 6) as is_weekend
    from spine
)

select * from final