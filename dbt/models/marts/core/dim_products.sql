with

versions as (
    select * from {{ ref('int_product_versions_collapsed') }}
),

-- A product that order lines or events name but no landed export describes gets an
-- inferred member (see dim_customers).
inferred as (
    {{ c360_inferred_keys(
        'product_id', 'versions', [ref('stg_shop__transactions'), ref('stg_web__events')]
    ) }}
),

members as (
    select
        product_id,
        version_number,
        product_name,
        category,
        subcategory,
        brand,
        unit_price,
        unit_cost,
        is_active,
        case when version_number = 1 then {{ c360_scd2_start() }} else updated_at end as valid_from,
        valid_to,
        false as is_inferred
    from versions

    union all

    select
        product_id,
        0 as version_number,
        cast(null as {{ dbt.type_string() }}) as product_name,
        cast(null as {{ dbt.type_string() }}) as category,
        cast(null as {{ dbt.type_string() }}) as subcategory,
        cast(null as {{ dbt.type_string() }}) as brand,
        cast(null as numeric(18, 2)) as unit_price,
        cast(null as numeric(18, 2)) as unit_cost,
        cast(null as {{ dbt.type_boolean() }}) as is_active,
        {{ c360_scd2_start() }} as valid_from,
        {{ c360_scd2_end() }} as valid_to,
        true as is_inferred
    from inferred
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
        valid_from,
        valid_to,
        valid_to = {{ c360_scd2_end() }} as is_current,
        is_inferred
    from members
)

select * from final
