
    
    



select *
from "c360"."core"."dim_dates"
where date_day is null


