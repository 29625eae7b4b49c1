with

products as (
    select * from {{ ref('base_shop__products') }}
    where rejection_reason is null
),

ranked as (
    select
        *,
        row_number() over (
            partition by product_id
            order by updated_at desc, _source_file desc
        ) as version_rank
    from products
),

final as (
    select
        product_id,
        product_name,
        category,
        subcategory,
        brand,
        unit_price,
        unit_cost,
        is_active,
        updated_at,
        _source_file,
        _ingest_date
    from ranked
    where version_rank = 1
)

select * from final
