{% test row_count_between(model, min_count=none, max_count=none) %}
    {#- Fails when the model's row count is outside [min_count, max_count]. -#}
    with counted as (
        select count(*) as row_count from {{ model }}
    )

    select row_count
    from counted
    where
        false
        {%- if min_count is not none %} or row_count < {{ min_count }}{% endif %}
        {%- if max_count is not none %} or row_count > {{ max_count }}{% endif %}
{% endtest %}
