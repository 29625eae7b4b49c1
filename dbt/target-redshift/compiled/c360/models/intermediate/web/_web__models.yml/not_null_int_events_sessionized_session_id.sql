
    
    



select *
from "c360"."intermediate"."int_events_sessionized"
where session_id is null


