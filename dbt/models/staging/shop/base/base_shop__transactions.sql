{#- The staging rules of order lines:
    rejected: no transaction_id, order_id, customer_id or product_id; no or an unparseable
    ordered_at or updated_at, or one that is implausible (before var
    c360_earliest_plausible_date, or more than var c360_future_tolerance_hours after the end
    of the day its export was landed), or an updated_at before its ordered_at (a return
    would be booked before its sale); a quantity that is missing, unparseable, not a whole number,
    <= 0 or above var c360_max_line_quantity; a missing, unparseable or negative
    unit_price; an unparseable or negative discount_amount, or one above the line's gross;
    a status outside its vocabulary after synonyms (revenue must classify it).
    kept, flagged in data_quality_issues: a channel outside its vocabulary.
    A customer or product staging does not know is not a rule: the line attaches to an
    inferred member of the dimension (see dim_customers). -#}
with

source as (
    select * from {{ ref('landed_shop__transactions') }}
),

typed as (
    select
        -- ids
        nullif(trim(transaction_id), '') as transaction_id,
        nullif(trim(order_id), '') as order_id,
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(product_id), '') as product_id,
        -- amounts
        {{ c360_safe_cast('quantity', 'numeric(18, 4)') }} as quantity_number,
        {{ c360_safe_cast('unit_price', 'numeric(18, 2)') }} as unit_price,
        {{ c360_safe_cast('discount_amount', 'numeric(18, 2)') }} as discount_amount_parsed,
        -- vocabularies
        {{ c360_vocabulary_value('channel', 'transactions') }} as channel,
        lower(trim(payment_method)) as payment_method,
        {{ c360_vocabulary_value('status', 'transactions') }} as status,
        -- timestamps
        {{ c360_utc_timestamp('ordered_at') }} as ordered_at,
        {{ c360_utc_timestamp('updated_at') }} as updated_at,
        -- raw text of checked values, to tell unusable from missing
        quantity as quantity_text,
        discount_amount as discount_amount_text,
        channel as channel_text,
        status as status_text,
        -- lineage
        _source_file,
        cast(ingest_date as date) as _ingest_date
    from source
),

measured as (
    select
        *,
        quantity_number = floor(quantity_number)
        and quantity_number between 1 and {{ var('c360_max_line_quantity') }} as is_usable_quantity,
        coalesce(discount_amount_parsed, 0) as discount_amount
    from typed
),

checked as (
    select
        transaction_id,
        order_id,
        customer_id,
        product_id,
        case
            when is_usable_quantity then cast(quantity_number as {{ dbt.type_int() }})
        end as quantity,
        unit_price,
        discount_amount_parsed,
        discount_amount,
        channel,
        payment_method,
        status,
        ordered_at,
        updated_at,
        quantity_text,
        discount_amount_text,
        channel_text,
        status_text,
        _source_file,
        _ingest_date,
        {%- set landed_by = c360_export_landed_by('_ingest_date') %}
        {{ rejection_reason([
            ("transaction_id is null", "missing transaction_id"),
            ("order_id is null", "missing order_id"),
            ("customer_id is null", "missing customer_id"),
            ("product_id is null", "missing product_id"),
            ("ordered_at is null", "missing or unparseable ordered_at"),
            ("updated_at is null", "missing or unparseable updated_at"),
        ]
        + c360_implausible_moment_rules('ordered_at', landed_by, 'the export was landed')
        + c360_implausible_moment_rules('updated_at', landed_by, 'the export was landed')
        + [
            ("updated_at < ordered_at", "updated_at before ordered_at"),
            (unparseable("quantity_text", "quantity_number"), "unparseable quantity"),
            ("quantity_number is null", "missing quantity"),
            ("quantity_number != floor(quantity_number)", "quantity is not a whole number"),
            ("quantity_number <= 0", "quantity <= 0"),
            ("not is_usable_quantity", "quantity above c360_max_line_quantity"),
            ("unit_price is null", "missing or unparseable unit_price"),
            ("unit_price < 0", "unit_price < 0"),
            (unparseable("discount_amount_text", "discount_amount_parsed"), "unparseable discount_amount"),
            ("discount_amount < 0", "discount_amount < 0"),
            ("discount_amount > quantity_number * unit_price", "discount_amount above the line's gross"),
            ("status is null", "missing or unknown status"),
        ]) }} as rejection_reason,
        {{ c360_data_quality_issues([
            (unparseable("channel_text", "channel"), "channel"),
        ]) }} as data_quality_issues
    from measured
)

select * from checked
