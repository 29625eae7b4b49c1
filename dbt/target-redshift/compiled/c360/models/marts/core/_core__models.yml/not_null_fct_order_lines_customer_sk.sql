
    
    



select *
from "c360"."core"."fct_order_lines"
where customer_sk is null


