
    
    



select *
from "c360"."intermediate"."int_identities_stitched"
where anonymous_id is null


