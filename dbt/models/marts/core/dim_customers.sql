{%- set version_text = "cast(version_number as " ~ dbt.type_string() ~ ")" -%}
{%- set scd2_start = "'" ~ var("c360_scd2_start") ~ "'" -%}
{%- set first_valid_from = "cast(" ~ scd2_start ~ " as " ~ dbt.type_timestamp() ~ ")" -%}

with

snapshot as (
    select * from {{ ref('snapshot_shop__customers') }}
),

versions as (
    select
        *,
        row_number() over (partition by customer_id order by dbt_valid_from) as version_number
    from snapshot
),

final as (
    select
        {{ dbt.hash(dbt.concat(['customer_id', "'|'", version_text])) }} as customer_sk,
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
        -- The first version reaches back to the start of time, so every fact finds one.
        case
            when version_number = 1 then {{ first_valid_from }}
            else dbt_valid_from
        end as valid_from,
        dbt_valid_to as valid_to,
        dbt_valid_to is null as is_current
    from versions
)

select * from final
