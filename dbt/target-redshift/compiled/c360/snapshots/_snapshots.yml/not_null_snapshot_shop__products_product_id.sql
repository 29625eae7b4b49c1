
    
    



select *
from "c360"."snapshots"."snapshot_shop__products"
where product_id is null


