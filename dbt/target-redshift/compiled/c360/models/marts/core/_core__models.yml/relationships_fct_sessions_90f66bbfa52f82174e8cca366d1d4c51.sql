
    
    

with child as (
    select customer_sk as from_field
    from "c360"."core"."fct_sessions"
    where customer_sk is not null
),

parent as (
    select customer_sk as to_field
    from "c360"."core"."dim_customers"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null


