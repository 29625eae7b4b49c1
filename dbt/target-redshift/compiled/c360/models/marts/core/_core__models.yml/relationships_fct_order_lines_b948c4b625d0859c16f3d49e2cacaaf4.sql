
    
    

with child as (
    select product_sk as from_field
    from "c360"."core"."fct_order_lines"
    where product_sk is not null
),

parent as (
    select product_sk as to_field
    from "c360"."core"."dim_products"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null


