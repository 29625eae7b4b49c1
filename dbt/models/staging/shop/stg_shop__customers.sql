with

customers as (
    select * from {{ ref('base_shop__customers') }}
    where rejection_reason is null
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by updated_at desc, _source_file desc
        ) as version_rank
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
        _source_file,
        _ingest_date
    from ranked
    where version_rank = 1
)

select * from final
