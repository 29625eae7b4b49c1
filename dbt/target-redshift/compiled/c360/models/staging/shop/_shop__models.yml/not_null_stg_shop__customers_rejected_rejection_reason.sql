
    
    



select *
from "c360"."staging"."stg_shop__customers_rejected"
where rejection_reason is null


