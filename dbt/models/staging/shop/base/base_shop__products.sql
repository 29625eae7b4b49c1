with

source as (
    select
        *,
        {{ c360_source_file() }} as _source_file
    from {{ source('shop', 'products') }}
),

typed as (
    select
        -- ids
        nullif(trim(product_id), '') as product_id,
        -- attributes
        trim(product_name) as product_name,
        trim(category) as category,
        trim(subcategory) as subcategory,
        trim(brand) as brand,
        -- money
        {{ dbt.safe_cast('unit_price', 'numeric(18, 2)') }} as unit_price,
        {{ dbt.safe_cast('unit_cost', 'numeric(18, 2)') }} as unit_cost,
        -- flags
        lower(trim(is_active)) as is_active_text,
        lower(trim(is_active)) = 'true' as is_active,
        -- timestamps
        {{ c360_utc_timestamp('updated_at') }} as updated_at,
        -- lineage
        _source_file,
        cast(ingest_date as date) as _ingest_date
    from source
),

checked as (
    select
        *,
        {{ rejection_reason([
            ("product_id is null", "missing product_id"),
            ("updated_at is null", "missing or unparseable updated_at"),
            ("unit_price is null", "missing or unparseable unit_price"),
            ("unit_price < 0", "unit_price < 0"),
            ("unit_cost < 0", "unit_cost < 0"),
            ("coalesce(is_active_text, '') not in ('true', 'false')", "is_active is not true or false"),
        ]) }} as rejection_reason
    from typed
)

select * from checked
