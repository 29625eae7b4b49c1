
    
    



select *
from "c360"."staging"."stg_web__events_rejected"
where rejection_reason is null


