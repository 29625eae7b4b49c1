
    
    



select *
from "c360"."staging"."stg_shop__transactions"
where transaction_id is null


