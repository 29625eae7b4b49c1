with

source as (
    select * from {{ source('shop', 'customers') }}
),

renamed as (
    select
        -- ids
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
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
        lower(trim(marketing_opt_in)) = 'true' as is_marketing_opt_in,
        -- timestamps
        {{ dbt.safe_cast('signup_at', dbt.type_timestamp()) }} as signup_at,
        {{ dbt.safe_cast('updated_at', dbt.type_timestamp()) }} as updated_at,
        -- lineage
        filename as _source_file,
        cast(ingest_date as date) as _ingest_date
    from source
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by updated_at desc, _source_file desc
        ) as version_rank
    from renamed
),

final as (
    select * from ranked
    where version_rank = 1
)

select * from final
