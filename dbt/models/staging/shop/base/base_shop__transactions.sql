with

source as (
    select
        *,
        {{ c360_source_file() }} as _source_file
    from {{ source('shop', 'transactions') }}
),

customers as (
    select customer_id from {{ ref('stg_shop__customers') }}
),

products as (
    select product_id from {{ ref('stg_shop__products') }}
),

typed as (
    select
        -- ids
        nullif(trim(transaction_id), '') as transaction_id,
        nullif(trim(order_id), '') as order_id,
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(product_id), '') as product_id,
        -- amounts
        {{ dbt.safe_cast('quantity', dbt.type_int()) }} as quantity,
        {{ dbt.safe_cast('unit_price', 'numeric(18, 2)') }} as unit_price,
        {{ dbt.safe_cast('discount_amount', 'numeric(18, 2)') }} as discount_amount_parsed,
        coalesce({{ dbt.safe_cast('discount_amount', 'numeric(18, 2)') }}, 0) as discount_amount,
        -- vocabularies
        lower(trim(channel)) as channel,
        lower(trim(payment_method)) as payment_method,
        lower(trim(status)) as status,
        -- timestamps
        {{ c360_utc_timestamp('ordered_at') }} as ordered_at,
        {{ c360_utc_timestamp('updated_at') }} as updated_at,
        -- raw text of typed values, to tell malformed from missing
        quantity as quantity_text,
        discount_amount as discount_amount_text,
        -- lineage
        _source_file,
        cast(ingest_date as date) as _ingest_date
    from source
),

-- Same source, so not a cross-source join: a line must name a customer and a product
-- that staging kept.
referenced as (
    select
        typed.*,
        customers.customer_id is not null as is_known_customer,
        products.product_id is not null as is_known_product
    from typed
    left join customers
        on typed.customer_id = customers.customer_id
    left join products
        on typed.product_id = products.product_id
),

checked as (
    select
        *,
        {{ rejection_reason([
            ("transaction_id is null", "missing transaction_id"),
            ("order_id is null", "missing order_id"),
            ("ordered_at is null", "missing or unparseable ordered_at"),
            ("updated_at is null", "missing or unparseable updated_at"),
            (unparseable("quantity_text", "quantity"), "unparseable quantity"),
            ("quantity is null", "missing quantity"),
            ("quantity <= 0", "quantity <= 0"),
            ("unit_price is null", "missing or unparseable unit_price"),
            ("unit_price < 0", "unit_price < 0"),
            (unparseable("discount_amount_text", "discount_amount_parsed"), "unparseable discount_amount"),
            ("discount_amount < 0", "discount_amount < 0"),
            ("channel not in ('" ~ var('c360_channels') | join("', '") ~ "')", "unknown channel"),
            ("status not in ('" ~ var('c360_order_statuses') | join("', '") ~ "')", "unknown status"),
            ("not is_known_customer", "unknown customer"),
            ("not is_known_product", "unknown product"),
        ]) }} as rejection_reason
    from referenced
)

select * from checked
