{#- The staging rules of products:
    rejected: no product_id; no or an unparseable updated_at, or an implausible one (see
    c360_implausible_moment_rules); a missing, unparseable or
    negative unit_price; an unparseable or negative unit_cost (the measures of margin).
    kept, flagged in data_quality_issues: is_active outside true/false (after synonyms). -#}
with

source as (
    select * from {{ ref('landed_shop__products') }}
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
        {{ c360_safe_cast('unit_price', 'numeric(18, 2)') }} as unit_price,
        {{ c360_safe_cast('unit_cost', 'numeric(18, 2)') }} as unit_cost,
        -- flags
        {{ c360_vocabulary_value('is_active', 'products') }} as is_active_value,
        -- timestamps
        {{ c360_utc_timestamp('updated_at') }} as updated_at,
        -- raw text of checked values, to tell unusable from missing
        unit_cost as unit_cost_text,
        is_active as is_active_text,
        -- lineage
        _source_file,
        cast(ingest_date as date) as _ingest_date
    from source
),

checked as (
    select
        product_id,
        product_name,
        category,
        subcategory,
        brand,
        unit_price,
        unit_cost,
        is_active_value = 'true' as is_active,
        updated_at,
        unit_cost_text,
        is_active_text,
        _source_file,
        _ingest_date,
        {{ rejection_reason([
            ("product_id is null", "missing product_id"),
            ("updated_at is null", "missing or unparseable updated_at"),
        ]
        + c360_implausible_moment_rules(
            'updated_at', c360_export_landed_by('_ingest_date'), 'the export was landed'
        )
        + [
            ("unit_price is null", "missing or unparseable unit_price"),
            ("unit_price < 0", "unit_price < 0"),
            (unparseable("unit_cost_text", "unit_cost"), "unparseable unit_cost"),
            ("unit_cost < 0", "unit_cost < 0"),
        ]) }} as rejection_reason,
        {{ c360_data_quality_issues([
            (unparseable("is_active_text", "is_active_value"), "is_active"),
        ]) }} as data_quality_issues
    from typed
)

select * from checked
