{#- The CLV models' fitted parameters, as c360/warehouse/clv_fit.py wrote them at this build. -#}
with

source as (
    select * from {{ source('clv_fit', 'clv_fit_parameters') }}
),

final as (
    select
        cast(model as {{ dbt.type_string() }}) as model,  -- noqa: RF04
        cast(parameter as {{ dbt.type_string() }}) as parameter,  -- noqa: RF04
        cast(value as double precision) as value,  -- noqa: RF04
        cast(customers as integer) as customers,
        cast(log_likelihood as double precision) as log_likelihood,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(as_of_date as date) as as_of_date
    from source
)

select * from final
