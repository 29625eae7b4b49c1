
    
    



select *
from "c360"."staging"."stg_web__events"
where anonymous_id is null


