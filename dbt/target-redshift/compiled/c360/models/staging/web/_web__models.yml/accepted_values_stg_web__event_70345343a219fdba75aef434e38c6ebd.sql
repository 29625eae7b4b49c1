
    
    

with all_values as (

    select
        event_type as value_field,
        count(*) as n_records

    from "c360"."staging"."stg_web__events"
    group by event_type

)

select *
from all_values
where value_field not in (
    'page_view','product_view','search','add_to_cart','remove_from_cart','begin_checkout','purchase','login','signup'
)


