{#- Nothing is lost in staging: per source, the rows read equal the rows staged plus the
    rows rejected plus the duplicates removed, each counted on its own. Rows read are
    counted on the raw source (for events, on what base reads: a compacted hour is read
    from its Parquet instead of its raw files). Duplicates are the usable rows less their
    distinct keys: copies of a version, superseded versions of an order line, re-sent
    events. Fails on each source whose numbers do not add up. -#}
{{ config(severity='error') }}

with

customers as (
    select
        'shop.customers' as source_table,
        (select count(*) from {{ c360_source('shop', 'customers') }} as raw_rows) as rows_read,
        (select count(*) from {{ ref('stg_shop__customers') }}) as rows_staged,
        (select count(*) from {{ ref('stg_shop__customers_rejected') }}) as rows_rejected,
        (select count(*) from {{ ref('base_shop__customers') }} where rejection_reason is null)
        - (
            select count(*) from (
                select distinct customer_id, updated_at
                from {{ ref('base_shop__customers') }}
                where rejection_reason is null
            ) as distinct_versions
        ) as duplicates_removed
),

products as (
    select
        'shop.products' as source_table,
        (select count(*) from {{ c360_source('shop', 'products') }} as raw_rows) as rows_read,
        (select count(*) from {{ ref('stg_shop__products') }}) as rows_staged,
        (select count(*) from {{ ref('stg_shop__products_rejected') }}) as rows_rejected,
        (select count(*) from {{ ref('base_shop__products') }} where rejection_reason is null)
        - (
            select count(*) from (
                select distinct product_id, updated_at
                from {{ ref('base_shop__products') }}
                where rejection_reason is null
            ) as distinct_versions
        ) as duplicates_removed
),

transactions as (
    select
        'shop.transactions' as source_table,
        (select count(*) from {{ c360_source('shop', 'transactions') }} as raw_rows) as rows_read,
        (select count(*) from {{ ref('stg_shop__transactions') }}) as rows_staged,
        (select count(*) from {{ ref('stg_shop__transactions_rejected') }}) as rows_rejected,
        (select count(*) from {{ ref('base_shop__transactions') }} where rejection_reason is null)
        - (
            select count(distinct transaction_id)
            from {{ ref('base_shop__transactions') }}
            where rejection_reason is null
        ) as duplicates_removed
),

events as (
    select
        'web.events' as source_table,
        (select count(*) from {{ ref('base_web__events') }}) as rows_read,
        (select count(*) from {{ ref('stg_web__events') }}) as rows_staged,
        (select count(*) from {{ ref('stg_web__events_rejected') }}) as rows_rejected,
        (select count(*) from {{ ref('base_web__events') }} where rejection_reason is null)
        - (
            select count(distinct event_id)
            from {{ ref('base_web__events') }}
            where rejection_reason is null
        ) as duplicates_removed
),

accounts as (
    select * from customers
    union all
    select * from products
    union all
    select * from transactions
    union all
    select * from events
)

select * from accounts
where rows_read != rows_staged + rows_rejected + duplicates_removed
