
    
    



select *
from "c360"."snapshots"."snapshot_shop__customers"
where customer_id is null


