
    
    



select *
from "c360"."core"."fct_events"
where event_id is null


