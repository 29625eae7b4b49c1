
    
    



select *
from "c360"."staging"."stg_shop__transactions"
where order_id is null


