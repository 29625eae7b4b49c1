{#- The buy-till-you-die models behind customer_lifetime_value's predictions, as fitted at
    this build (source clv_fit, written by c360/warehouse/clv_fit.py). `parameter` and `value` are
    the names the papers' readers look for, keywords or not. -#}
with

parameters as (
    select * from {{ ref('stg_clv_fit__parameters') }}
),

final as (
    select
        cast(model as {{ dbt.type_string() }}) as model,  -- noqa: RF04
        cast(parameter as {{ dbt.type_string() }}) as parameter,  -- noqa: RF04
        cast(value as numeric(18, 6)) as value,  -- noqa: RF04
        cast(customers as integer) as customers,
        cast(log_likelihood as numeric(18, 2)) as log_likelihood,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(as_of_date as date) as as_of_date
    from parameters
)

select * from final
