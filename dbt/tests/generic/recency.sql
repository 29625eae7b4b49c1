{% test recency(model, field, datepart, interval) %}
    {#- Fails when the newest value of the field is older than `interval` `datepart`s (or missing). -#}
    with newest as (
        select max({{ field }}) as newest_at from {{ model }}
    )

    select newest_at
    from newest
    where
        newest_at is null
        or newest_at < {{ dbt.dateadd(datepart, -1 * interval, dbt.current_timestamp()) }}
{% endtest %}
