
    
    



select *
from "c360"."core"."fct_order_lines"
where product_sk is null


