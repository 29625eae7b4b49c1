
    
    

select
    session_id as unique_field,
    count(*) as n_records

from "c360"."intermediate"."int_events_sessionized"
where session_id is not null
group by session_id
having count(*) > 1


