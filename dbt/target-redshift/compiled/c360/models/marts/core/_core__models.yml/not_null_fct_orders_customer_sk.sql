
    
    



select *
from "c360"."core"."fct_orders"
where customer_sk is null


