
    
    



select *
from "c360"."core"."fct_events"
where _landed_at is null


