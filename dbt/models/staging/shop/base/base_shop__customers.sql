{#- The staging rules of customers (listed for every source in docs/architecture.md):
    rejected, because the row cannot be used: no customer_id; no or an unparseable
    updated_at (versions are ordered by it); an implausible updated_at or signup_at (see
    c360_implausible_moment_rules); a signup_at on a day after the customer's first order
    (an order proves the customer existed: such a record is broken, and would make the
    customer appear after their own purchases in a point-in-time build).
    kept, the attribute set to null and named in data_quality_issues: an unparseable or
    impossible birth_date, an unparseable signup_at, a country_code that is not two letters,
    a gender or marketing_opt_in outside its vocabulary (after its synonyms). -#}
with

source as (
    select * from {{ ref('landed_shop__customers') }}
),

-- The first order line staging accepts for each customer (cancelled ones too: an order
-- placed is proof enough that the customer existed).
first_orders as (
    select
        customer_id,
        min(ordered_at) as first_ordered_at
    from {{ ref('base_shop__transactions') }}
    where rejection_reason is null
    group by customer_id
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
        {{ c360_safe_cast('birth_date', 'date') }} as birth_date_parsed,
        {{ c360_vocabulary_value('gender', 'customers') }} as gender,
        -- address
        trim(city) as city,
        trim(state) as state,
        trim(postal_code) as postal_code,
        case
            when length(trim(country_code)) = 2 then upper(trim(country_code))
        end as country_code,
        -- flags
        {{ c360_vocabulary_value('marketing_opt_in', 'customers') }} as marketing_opt_in_value,
        -- timestamps
        {{ c360_utc_timestamp('signup_at') }} as signup_at,
        {{ c360_utc_timestamp('updated_at') }} as updated_at,
        -- raw text of checked values, to tell unusable from missing
        birth_date as birth_date_text,
        gender as gender_text,
        country_code as country_code_text,
        marketing_opt_in as marketing_opt_in_text,
        signup_at as signup_at_text,
        -- lineage
        _source_file,
        cast(ingest_date as date) as _ingest_date
    from source
),

flagged as (
    select
        typed.*,
        first_orders.first_ordered_at,
        {{ unparseable('birth_date_text', 'birth_date_parsed') }}
        or coalesce(typed.birth_date_parsed < cast('1900-01-01' as date), false)
        or coalesce(typed.birth_date_parsed > cast(typed.updated_at as date), false)
            as has_unusable_birth_date
    from typed
    left join first_orders
        on typed.customer_id = first_orders.customer_id
),

checked as (
    select
        customer_id,
        first_name,
        last_name,
        email,
        phone,
        case when not has_unusable_birth_date then birth_date_parsed end as birth_date,
        gender,
        city,
        state,
        postal_code,
        country_code,
        marketing_opt_in_value = 'true' as is_marketing_opt_in,
        signup_at,
        updated_at,
        birth_date_text,
        gender_text,
        country_code_text,
        marketing_opt_in_text,
        signup_at_text,
        _source_file,
        _ingest_date,
        {%- set landed_by = c360_export_landed_by('_ingest_date') %}
        {{ rejection_reason([
            ("customer_id is null", "missing customer_id"),
            ("updated_at is null", "missing or unparseable updated_at"),
        ]
        + c360_implausible_moment_rules('updated_at', landed_by, 'the export was landed')
        + c360_implausible_moment_rules('signup_at', landed_by, 'the export was landed')
        + [
            (
                "cast(signup_at as date) > cast(first_ordered_at as date)",
                "signup_at after the customer's first order",
            ),
        ]) }} as rejection_reason,
        {{ c360_data_quality_issues([
            ("has_unusable_birth_date", "birth_date"),
            (unparseable("signup_at_text", "signup_at"), "signup_at"),
            (unparseable("country_code_text", "country_code"), "country_code"),
            (unparseable("gender_text", "gender"), "gender"),
            (unparseable("marketing_opt_in_text", "marketing_opt_in_value"), "marketing_opt_in"),
        ]) }} as data_quality_issues
    from flagged
)

select * from checked
