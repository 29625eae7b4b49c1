with

source as (
    select * from "c360"."raw_shop"."customers"
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
        
    
    cast(birth_date as date)
 as birth_date,
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
        
    
    cast(signup_at as timestamp)
 as signup_at,
        
    
    cast(updated_at as timestamp)
 as updated_at,
        -- raw text of typed values, to tell malformed from missing
        birth_date as birth_date_text,
        signup_at as signup_at_text,
        -- lineage
        filename as _source_file,
        cast(ingest_date as date) as _ingest_date
    from source
),

checked as (
    select
        *,
        case
        when customer_id is null then 'missing customer_id'
        when updated_at is null then 'missing or unparseable updated_at'
        when (signup_at_text is not null and trim(signup_at_text) != '' and signup_at is null) then 'unparseable signup_at'
        when (birth_date_text is not null and trim(birth_date_text) != '' and birth_date is null) then 'unparseable birth_date'
        when length(country_code) != 2 then 'country_code is not two letters'
        when coalesce(marketing_opt_in_text, '') not in ('true', 'false') then 'marketing_opt_in is not true or false'
        when gender not in ('female', 'male', 'other') then 'unknown gender'
    end as rejection_reason
    from typed
)

select * from checked