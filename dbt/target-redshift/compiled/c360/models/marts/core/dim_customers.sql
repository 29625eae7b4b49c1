with

snapshot as (
    select * from "c360"."snapshots"."snapshot_shop__customers"
),

versions as (
    select
        *,
        row_number() over (partition by customer_id order by dbt_valid_from) as version_number
    from snapshot
),

final as (
    select
        md5(cast(cast(customer_id as TEXT) || '|' || cast(version_number as TEXT) as TEXT)) as customer_sk,
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
        case
        when version_number = 1
            then cast('1900-01-01 00:00:00' as timestamp)
        else dbt_valid_from
    end as valid_from,
    dbt_valid_to as valid_to,
    dbt_valid_to is null as is_current
    from versions
)

select * from final