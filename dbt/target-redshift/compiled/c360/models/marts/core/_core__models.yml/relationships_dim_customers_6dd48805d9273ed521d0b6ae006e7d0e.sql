
    
    

with child as (
    select country_code as from_field
    from "c360"."core"."dim_customers"
    where country_code is not null
),

parent as (
    select country_code as to_field
    from "c360"."core"."dim_geographies"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null


