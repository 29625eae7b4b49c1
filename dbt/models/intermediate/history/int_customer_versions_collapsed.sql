{#- History comes from every version in the lake, ordered by updated_at, never from when
    builds ran: a rebuilt warehouse has the same history, however the exports were landed.
    A re-export that changes nothing is folded into the version before it. Point in time:
    versions recorded after "today", and customers who signed up after it, do not exist. -#}
with

versions as (
    select * from {{ ref('stg_shop__customers') }}
    where
        {{ c360_known_by_as_of('updated_at') }}
        and (signup_at is null or {{ c360_known_by_as_of('signup_at') }})
),

collapsed as (
    {{ c360_versions_collapsed(
        'versions',
        'customer_id',
        attributes=[
            'first_name', 'last_name', 'email', 'phone', 'birth_date', 'gender', 'city', 'state',
            'postal_code', 'country_code', 'is_marketing_opt_in', 'signup_at',
        ],
        fingerprint=[
            'first_name', 'last_name', 'email', 'phone',
            'cast(birth_date as ' ~ dbt.type_string() ~ ')', 'gender', 'city', 'state',
            'postal_code', 'country_code',
            "case when is_marketing_opt_in then 'true' when not is_marketing_opt_in then 'false' end",
            'cast(signup_at as ' ~ dbt.type_string() ~ ')',
        ],
    ) }}
)

select * from collapsed
