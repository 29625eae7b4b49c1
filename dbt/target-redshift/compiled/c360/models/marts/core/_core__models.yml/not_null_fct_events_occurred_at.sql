
    
    



select *
from "c360"."core"."fct_events"
where occurred_at is null


