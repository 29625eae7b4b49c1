
    
    



select *
from "c360"."staging"."stg_shop__transactions_rejected"
where rejection_reason is null


