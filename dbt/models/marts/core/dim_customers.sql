{#- Every version of every customer (SCD2). E-mail and phone are kept only as salted
    hashes (c360_pii_hash): the marts can count and join on them; customer_360 carries the
    current e-mail for lookup. -#}
with

versions as (
    select * from {{ ref('int_customer_versions_collapsed') }}
),

-- A fact never waits for its dimension row: a customer that order lines or events name
-- but no landed export describes (not yet, or only in rejected rows) gets an inferred
-- member with the natural key and no attributes. Once an export describes the customer,
-- the next build has real versions instead, and the facts attach to them.
inferred as (
    {{ c360_inferred_keys(
        'customer_id', 'versions', [ref('stg_shop__transactions'), ref('stg_web__events')]
    ) }}
),

members as (
    select
        customer_id,
        version_number,
        first_name,
        last_name,
        {{ c360_pii_hash('email') }} as email_hash,
        {{ c360_pii_hash('phone') }} as phone_hash,
        birth_date,
        gender,
        city,
        state,
        postal_code,
        country_code,
        is_marketing_opt_in,
        signup_at,
        case when version_number = 1 then {{ c360_scd2_start() }} else updated_at end as valid_from,
        valid_to,
        false as is_inferred
    from versions

    union all

    select
        customer_id,
        0 as version_number,
        cast(null as {{ dbt.type_string() }}) as first_name,
        cast(null as {{ dbt.type_string() }}) as last_name,
        cast(null as {{ dbt.type_string() }}) as email_hash,
        cast(null as {{ dbt.type_string() }}) as phone_hash,
        cast(null as date) as birth_date,
        cast(null as {{ dbt.type_string() }}) as gender,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as state,
        cast(null as {{ dbt.type_string() }}) as postal_code,
        cast(null as {{ dbt.type_string() }}) as country_code,
        cast(null as {{ dbt.type_boolean() }}) as is_marketing_opt_in,
        cast(null as {{ dbt.type_timestamp() }}) as signup_at,
        {{ c360_scd2_start() }} as valid_from,
        {{ c360_scd2_end() }} as valid_to,
        true as is_inferred
    from inferred
),

final as (
    select
        {{ c360_surrogate_key(['customer_id', 'version_number']) }} as customer_sk,
        customer_id,
        cast(version_number as integer) as version_number,
        first_name,
        last_name,
        email_hash,
        phone_hash,
        birth_date,
        gender,
        city,
        state,
        postal_code,
        country_code,
        is_marketing_opt_in,
        signup_at,
        valid_from,
        valid_to,
        valid_to = {{ c360_scd2_end() }} as is_current,
        is_inferred
    from members
)

select * from final
