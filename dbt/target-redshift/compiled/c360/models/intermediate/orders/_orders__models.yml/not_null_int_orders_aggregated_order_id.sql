
    
    



select *
from "c360"."intermediate"."int_orders_aggregated"
where order_id is null


