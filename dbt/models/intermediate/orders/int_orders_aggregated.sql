{#- Orders from their lines as of "today" (int_order_lines_costed): cancelled lines never
    count; a returned line counts in the order's gross, then comes back out as returned. -#}
with

order_lines as (
    select * from {{ ref('int_order_lines_costed') }}
),

aggregated as (
    select
        order_id,
        min(customer_id) as customer_id,
        min(channel) as channel,
        min(ordered_at) as ordered_at,
        count(*) as order_lines,
        sum(case when not is_cancelled then quantity else 0 end) as units,
        cast(
            sum(case when not is_cancelled then line_amount else 0 end) as numeric(18, 2)
        ) as gross_amount,
        cast(
            sum(case when is_returned then line_amount else 0 end) as numeric(18, 2)
        ) as returned_amount,
        sum(case when is_cancelled then 1 else 0 end) = count(*) as is_cancelled
    from order_lines
    group by order_id
)

select * from aggregated
