{#- Nothing is lost in staging: per source, the rows read equal the rows staged plus the
    rows rejected plus the duplicates removed, each counted on its own. Rows read are
    counted on the raw source (for events, on what base reads: a compacted hour is read
    from its Parquet instead of its raw files). Duplicates are the usable rows less their
    distinct keys: copies of a version, superseded versions of an order line, re-sent
    events. It returns every source's numbers, so they are stored (test_failures) for the
    run document, and fails on each source whose numbers do not add up (fail_calc). -#}
{{ config(severity='error', fail_calc='sum(case when is_balanced then 0 else 1 end)') }}

{%- set sources = [
    {'name': 'shop.customers', 'read': c360_source('shop', 'customers'),
     'model': 'stg_shop__customers', 'base': 'base_shop__customers', 'key': 'customer_id, updated_at'},
    {'name': 'shop.products', 'read': c360_source('shop', 'products'),
     'model': 'stg_shop__products', 'base': 'base_shop__products', 'key': 'product_id, updated_at'},
    {'name': 'shop.transactions', 'read': c360_source('shop', 'transactions'),
     'model': 'stg_shop__transactions', 'base': 'base_shop__transactions', 'key': 'transaction_id'},
    {'name': 'web.events', 'read': ref('base_web__events'),
     'model': 'stg_web__events', 'base': 'base_web__events', 'key': 'event_id'},
] %}

with

accounts as (
    {%- for source in sources %}
    select
        '{{ source.name }}' as source_table,
        (select count(*) from {{ source.read }} as raw_rows) as rows_read,
        (select count(*) from {{ ref(source.model) }}) as rows_staged,
        (select count(*) from {{ ref(source.model ~ '_rejected') }}) as rows_rejected,
        (select count(*) from {{ ref(source.base) }} where rejection_reason is null)
        - (
            select count(*) from (
                select distinct {{ source.key }}
                from {{ ref(source.base) }}
                where rejection_reason is null
            ) as distinct_keys
        ) as duplicates_removed
    {{ "union all" if not loop.last }}
    {%- endfor %}
)

select
    *,
    rows_read = rows_staged + rows_rejected + duplicates_removed as is_balanced
from accounts
