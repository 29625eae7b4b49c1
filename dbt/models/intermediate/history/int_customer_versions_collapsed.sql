with

versions as (
    select * from {{ ref('stg_shop__customers') }}
),

-- History comes from every version in the lake, ordered by updated_at, never from when
-- builds ran: a rebuilt warehouse has the same history, however the exports were landed.
fingerprinted as (
    select
        *,
        {{ c360_row_hash([
            'first_name', 'last_name', 'email', 'phone',
            'cast(birth_date as ' ~ dbt.type_string() ~ ')', 'gender', 'city', 'state',
            'postal_code', 'country_code',
            "case when is_marketing_opt_in then 'true' when not is_marketing_opt_in then 'false' end",
            'cast(signup_at as ' ~ dbt.type_string() ~ ')',
        ]) }} as attributes_hash
    from versions
),

compared as (
    select
        *,
        lag(attributes_hash) over (partition by customer_id order by updated_at) as previous_hash
    from fingerprinted
),

-- A version identical to the one before it (a re-export with a newer updated_at) changes
-- nothing and is folded into it.
changes as (
    select * from compared
    where previous_hash is null or previous_hash != attributes_hash
),

final as (
    select
        customer_id,
        cast(
            row_number() over (partition by customer_id order by updated_at) as integer
        ) as version_number,
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
        coalesce(
            lead(updated_at) over (partition by customer_id order by updated_at),
            {{ c360_scd2_end() }}
        ) as valid_to
    from changes
)

select * from final
