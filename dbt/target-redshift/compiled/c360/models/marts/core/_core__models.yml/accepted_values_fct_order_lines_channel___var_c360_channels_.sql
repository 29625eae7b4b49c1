
    
    

with all_values as (

    select
        channel as value_field,
        count(*) as n_records

    from "c360"."core"."fct_order_lines"
    group by channel

)

select *
from all_values
where value_field not in (
    'web','mobile_app','store','marketplace'
)


