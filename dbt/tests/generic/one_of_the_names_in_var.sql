{% test one_of_the_names_in_var(model, column_name, var_name) %}
    {#- Fails on non-null values that are not a `name` of the list var `var_name` (e.g. the CLV
        tiers of c360_clv_tiers): the names are written once, in the var, which the models,
        this test and the app all read. -#}
    {%- set names = var(var_name) | map(attribute='name') | list %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
      and {{ column_name }} not in (
        {%- for name in names %}'{{ name }}'{{ ", " if not loop.last }}{% endfor -%}
      )
{% endtest %}
