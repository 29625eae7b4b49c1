-- Rows of the transactions exports that break a business rule, with the reason: never dropped.
with

 __dbt__cte__base_shop__transactions as (
with

source as (
    select * from "c360"."raw_shop"."transactions"
),

customers as (
    select customer_id from "c360"."staging"."stg_shop__customers"
),

products as (
    select product_id from "c360"."staging"."stg_shop__products"
),

typed as (
    select
        -- ids
        nullif(trim(transaction_id), '') as transaction_id,
        nullif(trim(order_id), '') as order_id,
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(product_id), '') as product_id,
        -- amounts
        
    
    cast(quantity as integer)
 as quantity,
        
    
    cast(unit_price as numeric(18, 2))
 as unit_price,
        
    
    cast(discount_amount as numeric(18, 2))
 as discount_amount_parsed,
        coalesce(
    
    cast(discount_amount as numeric(18, 2))
, 0) as discount_amount,
        -- vocabularies
        lower(trim(channel)) as channel,
        lower(trim(payment_method)) as payment_method,
        lower(trim(status)) as status,
        -- timestamps
        
    
    cast(ordered_at as timestamp)
 as ordered_at,
        
    
    cast(updated_at as timestamp)
 as updated_at,
        -- raw text of typed values, to tell malformed from missing
        quantity as quantity_text,
        discount_amount as discount_amount_text,
        -- lineage
        filename as _source_file,
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
        case
        when transaction_id is null then 'missing transaction_id'
        when order_id is null then 'missing order_id'
        when ordered_at is null then 'missing or unparseable ordered_at'
        when updated_at is null then 'missing or unparseable updated_at'
        when (quantity_text is not null and trim(quantity_text) != '' and quantity is null) then 'unparseable quantity'
        when quantity is null then 'missing quantity'
        when quantity <= 0 then 'quantity <= 0'
        when unit_price is null then 'missing or unparseable unit_price'
        when unit_price < 0 then 'unit_price < 0'
        when (discount_amount_text is not null and trim(discount_amount_text) != '' and discount_amount_parsed is null) then 'unparseable discount_amount'
        when discount_amount < 0 then 'discount_amount < 0'
        when channel not in ('web', 'mobile_app', 'store', 'marketplace') then 'unknown channel'
        when status not in ('completed', 'returned', 'cancelled') then 'unknown status'
        when not is_known_customer then 'unknown customer'
        when not is_known_product then 'unknown product'
    end as rejection_reason
    from referenced
)

select * from checked
), rejected as (
    select * from __dbt__cte__base_shop__transactions
    where rejection_reason is not null
)

select * from rejected