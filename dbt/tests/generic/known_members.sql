{% test known_members(model, column_name, to, field) %}
    {#- Every row joins a real member of the dimension, not an inferred one (a key that facts
        name but no landed export describes yet). Meant as a warning: the rows are kept and
        attach to their real member once it lands. Fails on each row of an inferred member. -#}
    {{ config(severity='warn') }}
    select facts.*
    from {{ model }} as facts
    inner join {{ to }} as members
        on facts.{{ column_name }} = members.{{ field }}
    where members.is_inferred
{% endtest %}
