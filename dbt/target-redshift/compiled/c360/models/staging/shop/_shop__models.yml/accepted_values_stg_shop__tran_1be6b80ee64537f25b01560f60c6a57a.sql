
    
    

with all_values as (

    select
        channel as value_field,
        count(*) as n_records

    from "c360"."staging"."stg_shop__transactions"
    group by channel

)

select *
from all_values
where value_field not in (
    'web','mobile_app','store','marketplace'
)


