{#- The daily series a demand forecast starts from: every product that was ever bought,
    every day from the first purchase to "today" (days without sales are zeros, so a lag
    of n rows is n days), with calendar features and lags and trailing means of units.
    Units are the demand of the day: units ordered (not cancelled), returned or not. Net
    revenue is booked as monthly_revenue books it: a sale on the day it was ordered, a
    return on the day it was returned. Trailing means cover the days before the day itself,
    never the day: no leakage. -#}
with

purchase_lines as (
    select * from {{ ref('fct_order_lines') }}
    where not is_cancelled
),

holidays as (
    select * from {{ ref('holidays') }}
),

bounds as (
    select
        min(order_date) as first_day,
        {{ c360_as_of_date() }} as last_day
    from purchase_lines
),

products as (
    select distinct product_id from purchase_lines
),

-- The calendar of the series' span (c360_calendar, as dim_dates has it).
dates as (
    {{ c360_calendar('bounds') }}
),

-- Each line on the day it was ordered, and a returned line again on the day it came back.
line_days as (
    select
        product_id,
        order_date as date_day,
        quantity as units,
        line_amount as net_revenue
    from purchase_lines
    union all
    select
        product_id,
        cast(returned_at as date) as date_day,
        0 as units,
        -line_amount as net_revenue
    from purchase_lines
    where returned_at is not null
),

daily_sales as (
    select
        product_id,
        date_day,
        sum(units) as units,
        sum(net_revenue) as net_revenue
    from line_days
    group by product_id, date_day
),

series as (
    select
        products.product_id,
        dates.date_day,
        dates.day_of_week,
        dates.month_number,
        holidays.holiday_date is not null as is_holiday,
        coalesce(daily_sales.units, 0) as units,
        coalesce(daily_sales.net_revenue, 0) as net_revenue
    from products
    cross join dates
    left join daily_sales
        on
            products.product_id = daily_sales.product_id
            and dates.date_day = daily_sales.date_day
    left join holidays
        on dates.date_day = holidays.holiday_date
),

windowed as (
    select
        *,
        lag(units, 1) over (partition by product_id order by date_day) as units_lag_1,
        lag(units, 7) over (partition by product_id order by date_day) as units_lag_7,
        lag(units, 28) over (partition by product_id order by date_day) as units_lag_28,
        sum(units) over (
            partition by product_id order by date_day rows between 7 preceding and 1 preceding
        ) as units_before_7,
        count(*) over (
            partition by product_id order by date_day rows between 7 preceding and 1 preceding
        ) as days_before_7,
        sum(units) over (
            partition by product_id order by date_day rows between 28 preceding and 1 preceding
        ) as units_before_28,
        count(*) over (
            partition by product_id order by date_day rows between 28 preceding and 1 preceding
        ) as days_before_28
    from series
),

final as (
    select
        product_id,
        date_day,
        cast(day_of_week as integer) as day_of_week,
        cast(month_number as integer) as month_number,
        is_holiday,
        cast(units as integer) as units,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast(units_lag_1 as integer) as units_lag_1,
        cast(units_lag_7 as integer) as units_lag_7,
        cast(units_lag_28 as integer) as units_lag_28,
        cast(
            {{ c360_ratio('units_before_7', 'days_before_7', scale=4, input_scale=0) }}
            as numeric(18, 4)
        ) as units_mean_7d,
        cast(
            {{ c360_ratio('units_before_28', 'days_before_28', scale=4, input_scale=0) }}
            as numeric(18, 4)
        ) as units_mean_28d
    from windowed
)

select * from final
