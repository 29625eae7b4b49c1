{#- History comes from every version in the lake, ordered by updated_at (see
    int_customer_versions_collapsed); versions recorded after "today" do not exist. -#}
with

versions as (
    select * from {{ ref('stg_shop__products') }}
    where {{ c360_known_by_as_of('updated_at') }}
),

collapsed as (
    {{ c360_versions_collapsed(
        'versions',
        'product_id',
        attributes=[
            'product_name', 'category', 'subcategory', 'brand', 'unit_price', 'unit_cost', 'is_active',
        ],
        fingerprint=[
            'product_name', 'category', 'subcategory', 'brand',
            'cast(unit_price as ' ~ dbt.type_string() ~ ')',
            'cast(unit_cost as ' ~ dbt.type_string() ~ ')',
            "case when is_active then 'true' when not is_active then 'false' end",
        ],
    ) }}
)

select * from collapsed
