
    
    



select *
from "c360"."staging"."stg_shop__customers"
where customer_id is null


