with

source as (
    select * from {{ source('shop', 'products') }}
),

renamed as (
    select
        -- ids
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        -- attributes
        trim(product_name) as product_name,
        trim(category) as category,
        trim(subcategory) as subcategory,
        trim(brand) as brand,
        -- money
        {{ dbt.safe_cast('unit_price', 'numeric(18, 2)') }} as unit_price,
        {{ dbt.safe_cast('unit_cost', 'numeric(18, 2)') }} as unit_cost,
        -- flags
        lower(trim(is_active)) = 'true' as is_active,
        -- timestamps
        {{ dbt.safe_cast('updated_at', dbt.type_timestamp()) }} as updated_at,
        -- lineage
        filename as _source_file,
        cast(ingest_date as date) as _ingest_date
    from source
),

ranked as (
    select
        *,
        row_number() over (
            partition by product_id
            order by updated_at desc, _source_file desc
        ) as version_rank
    from renamed
),

final as (
    select * from ranked
    where version_rank = 1
)

select * from final
