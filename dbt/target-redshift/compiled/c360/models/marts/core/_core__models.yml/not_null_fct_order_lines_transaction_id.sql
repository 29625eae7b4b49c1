
    
    



select *
from "c360"."core"."fct_order_lines"
where transaction_id is null


