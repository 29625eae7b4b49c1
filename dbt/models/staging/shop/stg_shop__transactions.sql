with

source as (
    select * from {{ source('shop', 'transactions') }}
),

renamed as (
    select
        -- ids
        cast(transaction_id as {{ dbt.type_string() }}) as transaction_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        -- amounts
        {{ dbt.safe_cast('quantity', dbt.type_int()) }} as quantity,
        {{ dbt.safe_cast('unit_price', 'numeric(18, 2)') }} as unit_price,
        coalesce(
            {{ dbt.safe_cast('discount_amount', 'numeric(18, 2)') }}, 0
        ) as discount_amount,
        -- vocabularies
        lower(trim(channel)) as channel,
        lower(trim(payment_method)) as payment_method,
        lower(trim(status)) as status,
        -- timestamps
        {{ dbt.safe_cast('ordered_at', dbt.type_timestamp()) }} as ordered_at,
        {{ dbt.safe_cast('updated_at', dbt.type_timestamp()) }} as updated_at,
        -- lineage
        filename as _source_file,
        cast(ingest_date as date) as _ingest_date
    from source
),

ranked as (
    select
        *,
        cast(
            quantity * unit_price - discount_amount as numeric(18, 2)
        ) as line_amount,
        row_number() over (
            partition by transaction_id
            order by updated_at desc, _source_file desc
        ) as version_rank
    from renamed
),

final as (
    select * from ranked
    where version_rank = 1
)

select * from final
