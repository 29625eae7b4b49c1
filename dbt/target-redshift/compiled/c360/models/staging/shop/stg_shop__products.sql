with

 __dbt__cte__base_shop__products as (
with

source as (
    select * from "c360"."raw_shop"."products"
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
        
    
    cast(unit_price as numeric(18, 2))
 as unit_price,
        
    
    cast(unit_cost as numeric(18, 2))
 as unit_cost,
        -- flags
        lower(trim(is_active)) as is_active_text,
        lower(trim(is_active)) = 'true' as is_active,
        -- timestamps
        
    
    cast(updated_at as timestamp)
 as updated_at,
        -- lineage
        filename as _source_file,
        cast(ingest_date as date) as _ingest_date
    from source
),

checked as (
    select
        *,
        case
        when product_id is null then 'missing product_id'
        when updated_at is null then 'missing or unparseable updated_at'
        when unit_price is null then 'missing or unparseable unit_price'
        when unit_price < 0 then 'unit_price < 0'
        when unit_cost < 0 then 'unit_cost < 0'
        when coalesce(is_active_text, '') not in ('true', 'false') then 'is_active is not true or false'
    end as rejection_reason
    from typed
)

select * from checked
), products as (
    select * from __dbt__cte__base_shop__products
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