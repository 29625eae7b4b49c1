{%- set version_text = "cast(version_number as " ~ dbt.type_string() ~ ")" -%}
{%- set scd2_start = "'" ~ var("c360_scd2_start") ~ "'" -%}
{%- set first_valid_from = "cast(" ~ scd2_start ~ " as " ~ dbt.type_timestamp() ~ ")" -%}

with

snapshot as (
    select * from {{ ref('snapshot_shop__products') }}
),

versions as (
    select
        *,
        row_number() over (partition by product_id order by dbt_valid_from) as version_number
    from snapshot
),

final as (
    select
        {{ dbt.hash(dbt.concat(['product_id', "'|'", version_text])) }} as product_sk,
        product_id,
        cast(version_number as integer) as version_number,
        product_name,
        category,
        subcategory,
        brand,
        unit_price as list_price,
        unit_cost,
        is_active,
        case
            when version_number = 1 then {{ first_valid_from }}
            else dbt_valid_from
        end as valid_from,
        dbt_valid_to as valid_to,
        dbt_valid_to is null as is_current
    from versions
)

select * from final
