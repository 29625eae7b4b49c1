
    
    



select *
from "c360"."staging"."stg_shop__products_rejected"
where rejection_reason is null


