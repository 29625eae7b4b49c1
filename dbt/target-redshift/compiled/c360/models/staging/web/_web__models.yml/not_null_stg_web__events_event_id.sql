
    
    



select *
from "c360"."staging"."stg_web__events"
where event_id is null


