with

order_lines as (
    select * from {{ ref('base_shop__transactions') }}
    where rejection_reason is null
),

-- A line's latest version is the line; a return is dated by the first version that says
-- returned (a later export of the same return does not move it).
ranked as (
    select
        *,
        min(case when status = 'returned' then updated_at end)
            over (partition by transaction_id)
            as first_returned_at,
        row_number() over (
            partition by transaction_id
            order by updated_at desc, _ingest_date desc, _source_file desc
        ) as version_rank
    from order_lines
),

final as (
    select
        transaction_id,
        order_id,
        customer_id,
        product_id,
        quantity,
        unit_price,
        discount_amount,
        cast(quantity * unit_price - discount_amount as numeric(18, 2)) as line_amount,
        channel,
        payment_method,
        status,
        ordered_at,
        updated_at,
        case when status = 'returned' then first_returned_at end as returned_at,
        data_quality_issues,
        _source_file,
        _ingest_date
    from ranked
    where version_rank = 1
)

select * from final
