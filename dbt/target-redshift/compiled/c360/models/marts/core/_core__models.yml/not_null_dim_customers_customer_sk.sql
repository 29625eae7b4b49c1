
    
    



select *
from "c360"."core"."dim_customers"
where customer_sk is null


