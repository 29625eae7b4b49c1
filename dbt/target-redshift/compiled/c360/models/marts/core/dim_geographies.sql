with

countries as (
    select * from "c360"."seeds"."countries"
),

final as (
    select
        cast(country_code as TEXT) as country_code,
        cast(country_name as TEXT) as country_name,
        cast(region as TEXT) as region,
        cast(latitude as numeric(9, 6)) as latitude,
        cast(longitude as numeric(9, 6)) as longitude
    from countries
)

select * from final