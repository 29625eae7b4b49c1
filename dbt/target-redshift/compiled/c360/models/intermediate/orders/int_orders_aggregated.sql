with

order_lines as (
    select * from "c360"."staging"."stg_shop__transactions"
),

-- Cancelled lines never count as revenue; a returned line counts, then comes back out.
aggregated as (
    select
        order_id,
        min(customer_id) as customer_id,
        min(channel) as channel,
        min(ordered_at) as ordered_at,
        count(*) as order_lines,
        sum(case when status != 'cancelled' then quantity else 0 end) as units,
        cast(
            sum(case when status != 'cancelled' then line_amount else 0 end) as numeric(18, 2)
        ) as gross_amount,
        cast(
            sum(case when status = 'returned' then line_amount else 0 end) as numeric(18, 2)
        ) as returned_amount,
        sum(case when status = 'cancelled' then 1 else 0 end) = count(*) as is_cancelled
    from order_lines
    group by order_id
)

select * from aggregated