
    
    

with child as (
    select session_date as from_field
    from "c360"."core"."fct_sessions"
    where session_date is not null
),

parent as (
    select date_day as to_field
    from "c360"."core"."dim_dates"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null


