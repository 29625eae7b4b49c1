{#- The books of each month, as of "today". A sale is booked in the month it was ordered
    (gross revenue), a return in the month it was returned (returned revenue), so a closed
    month never changes when a later export returns one of its lines; net = gross - returns.
    Orders, customers and average order value are of the orders placed in the month (not
    cancelled); a new customer placed their first order in it. Growth compares a month's net
    revenue with the calendar month before (and the same month a year before) over a spine
    of every month, so a month without orders is a row of zeros and is never skipped over;
    growth against a month without revenue (or whose returns outweighed its sales) is null,
    not zero. The month holding "today" is
    partial unless today is its last day. -#}
with

sold_lines as (
    select * from {{ ref('fct_order_lines') }}
    where not is_cancelled
),

sales as (
    select
        cast({{ dbt.date_trunc('month', 'sold_lines.order_date') }} as date) as month_start,
        count(distinct sold_lines.order_id) as orders,
        count(distinct sold_lines.customer_id) as customers,
        -- new: the month of the customer's first order day (fct_order_lines defines it once)
        count(distinct case
            when sold_lines.order_date = sold_lines.customer_first_order_date
                then sold_lines.customer_id
        end) as new_customers,
        sum(sold_lines.line_amount) as gross_revenue
    from sold_lines
    group by 1
),

returns as (
    select
        cast({{ dbt.date_trunc('month', 'returned_at') }} as date) as month_start,
        sum(line_amount) as returned_revenue
    from sold_lines
    where returned_at is not null
    group by 1
),

today as (
    select {{ c360_as_of_date() }} as as_of_date
),

bounds as (
    select
        min(sales.month_start) as first_month,
        cast({{ dbt.date_trunc('month', 'min(today.as_of_date)') }} as date) as last_month,
        min(today.as_of_date) as as_of_date
    from sales
    cross join today
),

-- Every month of the span, from the calendar (c360_calendar, as dim_dates has it).
months as (
    select distinct calendar_days.month_start_date as month_start
    from ({{ c360_calendar('bounds', 'first_month', 'last_month') }}) as calendar_days
),

monthly as (
    select
        months.month_start,
        months.month_start = bounds.last_month
        and cast({{ dbt.date_trunc('month', dbt.dateadd('day', 1, 'bounds.as_of_date')) }} as date)
        = bounds.last_month as is_partial,
        coalesce(sales.orders, 0) as orders,
        coalesce(sales.customers, 0) as customers,
        coalesce(sales.new_customers, 0) as new_customers,
        coalesce(sales.gross_revenue, 0) as gross_revenue,
        coalesce(returns.returned_revenue, 0) as returned_revenue
    from months
    inner join bounds
        on months.month_start between bounds.first_month and bounds.last_month
    left join sales
        on months.month_start = sales.month_start
    left join returns
        on months.month_start = returns.month_start
),

compared as (
    select
        *,
        gross_revenue - returned_revenue as net_revenue,
        lag(gross_revenue - returned_revenue, 1)
            over (order by month_start)
            as previous_month_net_revenue,
        lag(gross_revenue - returned_revenue, 12)
            over (order by month_start)
            as previous_year_net_revenue
    from monthly
),

final as (
    select
        month_start,
        is_partial,
        cast(orders as bigint) as orders,
        cast(customers as bigint) as customers,
        cast(new_customers as bigint) as new_customers,
        cast(customers - new_customers as bigint) as returning_customers,
        cast(gross_revenue as numeric(18, 2)) as gross_revenue,
        cast(returned_revenue as numeric(18, 2)) as returned_revenue,
        cast(net_revenue as numeric(18, 2)) as net_revenue,
        cast({{ c360_ratio('gross_revenue', 'orders') }} as numeric(18, 2)) as average_order_value,
        cast(
            case when previous_month_net_revenue > 0 then {{ c360_ratio(
                'net_revenue - previous_month_net_revenue', 'previous_month_net_revenue', scale=4
            ) }} end as numeric(18, 4)
        ) as net_revenue_mom_growth,
        cast(
            case when previous_year_net_revenue > 0 then {{ c360_ratio(
                'net_revenue - previous_year_net_revenue', 'previous_year_net_revenue', scale=4
            ) }} end as numeric(18, 4)
        ) as net_revenue_yoy_growth
    from compared
)

select * from final
