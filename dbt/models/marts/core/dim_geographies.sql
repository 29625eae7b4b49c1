with

countries as (
    select * from {{ ref('countries') }}
),

final as (
    select
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(country_name as {{ dbt.type_string() }}) as country_name,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(latitude as numeric(9, 6)) as latitude,
        cast(longitude as numeric(9, 6)) as longitude
    from countries
)

select * from final
