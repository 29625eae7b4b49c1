
    
    

select
    month_start as unique_field,
    count(*) as n_records

from "c360"."analytics"."monthly_revenue"
where month_start is not null
group by month_start
having count(*) > 1


