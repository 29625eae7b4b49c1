with

customer_versions as (
    select * from {{ ref('snapshot_shop__customers') }}
),

versions as (
    select
        *,
        row_number() over (partition by customer_id order by dbt_valid_from) as version_number
    from customer_versions
),

final as (
    select
        {{ c360_surrogate_key(['customer_id', 'version_number']) }} as customer_sk,
        customer_id,
        cast(version_number as integer) as version_number,
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
        {{ c360_scd2_validity() }}
    from versions
)

select * from final
