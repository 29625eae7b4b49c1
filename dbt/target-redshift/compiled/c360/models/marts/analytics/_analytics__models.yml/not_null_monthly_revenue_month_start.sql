
    
    



select *
from "c360"."analytics"."monthly_revenue"
where month_start is null


