{% test rejected_share_below(model, rows_read_from, max_share=none) %}
    {#- On a `*_rejected` model: fails when staging rejected more than `max_share` (default
        var c360_max_rejected_share) of the rows it read, or every one of them.
        `rows_read_from` is the relation of every row read, rejected or not (the base model). -#}
    {%- set limit = max_share if max_share is not none else var('c360_max_rejected_share') %}
    with counts as (
        select
            (select count(*) from {{ rows_read_from }}) as rows_read,
            (select count(*) from {{ model }}) as rejected_rows
    )

    select
        rows_read,
        rejected_rows,
        cast(rejected_rows as {{ dbt.type_float() }}) / rows_read as rejected_share
    from counts
    where
        rejected_rows > 0
        and (
            rejected_rows = rows_read
            or cast(rejected_rows as {{ dbt.type_float() }}) / rows_read > {{ limit }}
        )
{% endtest %}
