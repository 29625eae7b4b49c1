
    
    

select
    order_id as unique_field,
    count(*) as n_records

from "c360"."intermediate"."int_orders_aggregated"
where order_id is not null
group by order_id
having count(*) > 1


