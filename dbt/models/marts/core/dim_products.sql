with

product_versions as (
    select * from {{ ref('snapshot_shop__products') }}
),

versions as (
    select
        *,
        row_number() over (partition by product_id order by dbt_valid_from) as version_number
    from product_versions
),

final as (
    select
        {{ c360_surrogate_key(['product_id', 'version_number']) }} as product_sk,
        product_id,
        cast(version_number as integer) as version_number,
        product_name,
        category,
        subcategory,
        brand,
        unit_price as list_price,
        unit_cost,
        is_active,
        {{ c360_scd2_validity() }}
    from versions
)

select * from final
