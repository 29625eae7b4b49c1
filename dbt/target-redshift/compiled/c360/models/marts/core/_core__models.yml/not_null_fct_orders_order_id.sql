
    
    



select *
from "c360"."core"."fct_orders"
where order_id is null


