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
        'customer_id',
        'versions',
        [(ref('stg_shop__transactions'), 'ordered_at'), (ref('stg_web__events'), 'occurred_at')],
    ) }}
),

-- The members: every version, and one version 0 per inferred key. Their attributes come
-- from a left join, so an inferred member's are nulls of the columns' own types (no typed
-- null stands alone in a union, which Redshift's contract check cannot type).
members as (
    select
        customer_id,
        version_number,
        false as is_inferred
    from versions

    union all

    select
        customer_id,
        0 as version_number,
        true as is_inferred
    from inferred
),

described as (
    select
        members.customer_id,
        members.version_number,
        versions.first_name,
        versions.last_name,
        {{ c360_pii_hash('versions.email') }} as email_hash,
        {{ c360_pii_hash('versions.phone') }} as phone_hash,
        versions.birth_date,
        versions.gender,
        versions.city,
        versions.state,
        versions.postal_code,
        versions.country_code,
        versions.is_marketing_opt_in,
        versions.signup_at,
        case
            when members.version_number <= 1 then {{ c360_scd2_start() }}
            else versions.updated_at
        end as valid_from,
        coalesce(versions.valid_to, {{ c360_scd2_end() }}) as valid_to,
        members.is_inferred
    from members
    left join versions
        on
            members.customer_id = versions.customer_id
            and members.version_number = versions.version_number
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
    from described
)

select * from final
