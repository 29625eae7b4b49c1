with

source as (
    select * from {{ source('web', 'events') }}
),

renamed as (
    select
        -- ids
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        anonymous_id,
        customer_id,
        product_id,
        order_id,
        -- what happened
        lower(trim(event_type)) as event_type,
        {{ dbt.safe_cast('occurred_at', dbt.type_timestamp()) }} as occurred_at,
        page_url,
        referrer_url,
        search_query,
        -- marketing
        lower(utm_source) as utm_source,
        lower(utm_medium) as utm_medium,
        lower(utm_campaign) as utm_campaign,
        -- device and place
        lower(device_type) as device_type,
        upper(country_code) as country_code,
        city,
        -- lineage
        _kinesis_shard_id,
        _kinesis_sequence_number,
        {{ dbt.safe_cast('_kinesis_arrival_at', dbt.type_timestamp()) }} as _kinesis_arrival_at,
        {{ dbt.safe_cast('_landed_at', dbt.type_timestamp()) }} as _landed_at,
        filename as _source_file
    from source
),

ranked as (
    select
        *,
        row_number() over (
            partition by event_id
            order by _kinesis_arrival_at, _source_file, _kinesis_sequence_number
        ) as arrival_rank
    from renamed
),

final as (
    select * from ranked
    where arrival_rank = 1
)

select * from final
