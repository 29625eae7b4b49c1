with

customers as (
    select * from {{ ref('base_shop__customers') }}
    where rejection_reason is null
),

-- Every version a landed export holds; the same version (customer and updated_at) sent in
-- several exports is kept once, from the file landed last.
ranked as (
    select
        *,
        row_number() over (
            partition by customer_id, updated_at
            order by _ingest_date desc, _source_file desc
        ) as copy_rank
    from customers
),

final as (
    select
        customer_id,
        first_name,
        last_name,
        email,
        phone,
        birth_date,
        gender,
        city,
        state,
        postal_code,
        country_code,
        is_marketing_opt_in,
        signup_at,
        updated_at,
        data_quality_issues,
        _source_file,
        _ingest_date
    from ranked
    where copy_rank = 1
)

select * from final
