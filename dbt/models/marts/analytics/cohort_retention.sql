{#- Cohorts are customers by the month of their first purchase; each cohort has a row for
    every month from its first up to the month of "today" (zeros where nobody came back),
    offsets counted in calendar months across year boundaries. A customer is active in a
    month when they made a purchase in it (int_purchases_valued: an order returned in full
    is not one); revenue is those purchases' net revenue as of "today". -#}
with

customers as (
    select * from {{ ref('int_customer_orders_summarized') }}
),

purchases as (
    select * from {{ ref('int_purchases_valued') }}
),

offsets as (
    {{ c360_day_numbers(1000) }}
),

cohort_members as (
    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'first_purchase_date') }} as date) as cohort_month,
        cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month
    from customers
),

cohorts as (
    select
        cohort_month,
        max(as_of_month) as as_of_month,
        count(*) as cohort_size
    from cohort_members
    group by cohort_month
),

member_purchases as (
    select
        cohort_members.cohort_month,
        purchases.customer_id,
        purchases.net_revenue,
        {{ dbt.datediff(
            'cohort_members.cohort_month',
            dbt.date_trunc('month', 'purchases.order_date'),
            'month',
        ) }} as months_since_first_order
    from purchases
    inner join cohort_members
        on purchases.customer_id = cohort_members.customer_id
),

activity as (
    select
        cohort_month,
        months_since_first_order,
        count(distinct customer_id) as active_customers,
        sum(net_revenue) as revenue
    from member_purchases
    group by cohort_month, months_since_first_order
),

cohort_spans as (
    select
        cohort_month,
        cohort_size,
        {{ dbt.datediff('cohort_month', 'as_of_month', 'month') }} as months_to_as_of
    from cohorts
),

grid as (
    select
        cohort_spans.cohort_month,
        cohort_spans.cohort_size,
        offsets.day_number as months_since_first_order
    from cohort_spans
    inner join offsets
        on cohort_spans.months_to_as_of >= offsets.day_number
),

final as (
    select
        grid.cohort_month,
        cast(grid.months_since_first_order as integer) as months_since_first_order,
        cast(grid.cohort_size as bigint) as cohort_size,
        cast(coalesce(activity.active_customers, 0) as bigint) as active_customers,
        cast(
            {{ c360_ratio('coalesce(activity.active_customers, 0)', 'grid.cohort_size', scale=4) }}
            as numeric(18, 4)
        ) as retention_rate,
        cast(coalesce(activity.revenue, 0) as numeric(18, 2)) as revenue
    from grid
    left join activity
        on
            grid.cohort_month = activity.cohort_month
            and grid.months_since_first_order = activity.months_since_first_order
)

select * from final
