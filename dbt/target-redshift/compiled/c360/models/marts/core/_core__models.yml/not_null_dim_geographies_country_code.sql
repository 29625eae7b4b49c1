
    
    



select *
from "c360"."core"."dim_geographies"
where country_code is null


