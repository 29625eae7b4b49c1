
    
    



select *
from "c360"."core"."fct_events"
where event_date is null


