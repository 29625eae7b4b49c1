with

versions as (
    select * from {{ ref('stg_shop__products') }}
),

-- History comes from every version in the lake, ordered by updated_at (see
-- int_customer_versions_collapsed).
fingerprinted as (
    select
        *,
        {{ c360_row_hash([
            'product_name', 'category', 'subcategory', 'brand',
            'cast(unit_price as ' ~ dbt.type_string() ~ ')',
            'cast(unit_cost as ' ~ dbt.type_string() ~ ')',
            "case when is_active then 'true' when not is_active then 'false' end",
        ]) }} as attributes_hash
    from versions
),

compared as (
    select
        *,
        lag(attributes_hash) over (partition by product_id order by updated_at) as previous_hash
    from fingerprinted
),

changes as (
    select * from compared
    where previous_hash is null or previous_hash != attributes_hash
),

final as (
    select
        product_id,
        cast(
            row_number() over (partition by product_id order by updated_at) as integer
        ) as version_number,
        product_name,
        category,
        subcategory,
        brand,
        unit_price,
        unit_cost,
        is_active,
        updated_at,
        coalesce(
            lead(updated_at) over (partition by product_id order by updated_at),
            {{ c360_scd2_end() }}
        ) as valid_to
    from changes
)

select * from final
