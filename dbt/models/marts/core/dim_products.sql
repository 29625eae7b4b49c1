with

versions as (
    select * from {{ ref('int_product_versions_collapsed') }}
),

-- A product that order lines or events name but no landed export describes gets an
-- inferred member (see dim_customers).
inferred as (
    {{ c360_inferred_keys(
        'product_id',
        'versions',
        [(ref('stg_shop__transactions'), 'ordered_at'), (ref('stg_web__events'), 'occurred_at')],
    ) }}
),

-- The members: every version, and one version 0 per inferred key, described by a left
-- join (see dim_customers).
members as (
    select
        product_id,
        version_number,
        false as is_inferred
    from versions

    union all

    select
        product_id,
        0 as version_number,
        true as is_inferred
    from inferred
),

described as (
    select
        members.product_id,
        members.version_number,
        versions.product_name,
        versions.category,
        versions.subcategory,
        versions.brand,
        versions.unit_price,
        versions.unit_cost,
        versions.is_active,
        case
            when members.version_number <= 1 then {{ c360_scd2_start() }}
            else versions.updated_at
        end as valid_from,
        coalesce(versions.valid_to, {{ c360_scd2_end() }}) as valid_to,
        members.is_inferred
    from members
    left join versions
        on
            members.product_id = versions.product_id
            and members.version_number = versions.version_number
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
    from described
)

select * from final
