
    
    



select *
from "c360"."core"."dim_products"
where product_sk is null


