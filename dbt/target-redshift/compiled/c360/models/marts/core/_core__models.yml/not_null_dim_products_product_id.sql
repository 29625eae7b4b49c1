
    
    



select *
from "c360"."core"."dim_products"
where product_id is null


