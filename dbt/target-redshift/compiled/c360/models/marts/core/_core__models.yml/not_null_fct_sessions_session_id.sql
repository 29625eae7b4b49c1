
    
    



select *
from "c360"."core"."fct_sessions"
where session_id is null


