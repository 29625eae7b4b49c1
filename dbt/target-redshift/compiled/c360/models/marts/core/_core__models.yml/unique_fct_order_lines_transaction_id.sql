
    
    

select
    transaction_id as unique_field,
    count(*) as n_records

from "c360"."core"."fct_order_lines"
where transaction_id is not null
group by transaction_id
having count(*) > 1


