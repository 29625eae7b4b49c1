{#- Every calendar month that dim_dates has a day of: the month grain of the calendar, and
    the semantic layer's monthly time spine. -#}
with

days as (
    select * from {{ ref('dim_dates') }}
),

final as (
    select
        month_start_date as month_start,
        min(year_number) as year_number,
        min(quarter_number) as quarter_number,
        min(month_number) as month_number,
        cast(count(*) as integer) as days_in_span
    from days
    group by month_start_date
)

select * from final
