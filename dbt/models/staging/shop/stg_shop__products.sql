with

products as (
    select * from {{ ref('base_shop__products') }}
    where rejection_reason is null
),

-- Every version a landed export holds; the same version (product and updated_at) sent in
-- several exports is kept once, from the file landed last.
ranked as (
    select
        *,
        row_number() over (
            partition by product_id, updated_at
            order by _ingest_date desc, _source_file desc
        ) as copy_rank
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
        data_quality_issues,
        _source_file,
        _ingest_date
    from ranked
    where copy_rank = 1
)

select * from final
