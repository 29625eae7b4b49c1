with

source as (
    select
        *,
        {{ c360_source_file() }} as _source_file
    from {{ source('shop', 'customers') }}
),

typed as (
    select
        -- ids
        nullif(trim(customer_id), '') as customer_id,
        -- person
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        lower(trim(email)) as email,
        trim(phone) as phone,
        {{ dbt.safe_cast('birth_date', 'date') }} as birth_date,
        nullif(lower(trim(gender)), '') as gender,
        -- address
        trim(city) as city,
        trim(state) as state,
        trim(postal_code) as postal_code,
        upper(trim(country_code)) as country_code,
        -- flags
        lower(trim(marketing_opt_in)) as marketing_opt_in_text,
        lower(trim(marketing_opt_in)) = 'true' as is_marketing_opt_in,
        -- timestamps
        {{ c360_utc_timestamp('signup_at') }} as signup_at,
        {{ c360_utc_timestamp('updated_at') }} as updated_at,
        -- raw text of typed values, to tell malformed from missing
        birth_date as birth_date_text,
        signup_at as signup_at_text,
        -- lineage
        _source_file,
        cast(ingest_date as date) as _ingest_date
    from source
),

checked as (
    select
        *,
        {{ rejection_reason([
            ("customer_id is null", "missing customer_id"),
            ("updated_at is null", "missing or unparseable updated_at"),
            (unparseable("signup_at_text", "signup_at"), "unparseable signup_at"),
            (unparseable("birth_date_text", "birth_date"), "unparseable birth_date"),
            ("length(country_code) != 2", "country_code is not two letters"),
            ("coalesce(marketing_opt_in_text, '') not in ('true', 'false')", "marketing_opt_in is not true or false"),
            ("gender not in ('" ~ var('c360_genders') | join("', '") ~ "')", "unknown gender"),
        ]) }} as rejection_reason
    from typed
)

select * from checked
