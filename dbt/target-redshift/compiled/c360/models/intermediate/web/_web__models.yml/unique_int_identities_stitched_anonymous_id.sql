
    
    

select
    anonymous_id as unique_field,
    count(*) as n_records

from "c360"."intermediate"."int_identities_stitched"
where anonymous_id is not null
group by anonymous_id
having count(*) > 1


