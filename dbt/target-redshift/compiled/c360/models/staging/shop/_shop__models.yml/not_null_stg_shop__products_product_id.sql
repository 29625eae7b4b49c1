
    
    



select *
from "c360"."staging"."stg_shop__products"
where product_id is null


