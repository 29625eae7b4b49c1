
    
    

with all_values as (

    select
        status as value_field,
        count(*) as n_records

    from "c360"."staging"."stg_shop__transactions"
    group by status

)

select *
from all_values
where value_field not in (
    'completed','returned','cancelled'
)


