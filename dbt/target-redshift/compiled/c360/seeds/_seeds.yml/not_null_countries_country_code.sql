
    
    



select *
from "c360"."seeds"."countries"
where country_code is null


