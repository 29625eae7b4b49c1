{% macro c360_day_numbers(max_days=100000) %}
    {#- 0 .. max_days - 1 from cross-joined digits: portable where generate_series is not
        (Redshift's runs only on the leader node). -#}
    {%- set digits = (max_days - 1) | string | length -%}
    select
        {% for position in range(digits) -%}
        digit_{{ position }}.n * {{ 10 ** position }}{{ " + " if not loop.last }}
        {%- endfor %} as day_number
    from
        {% for position in range(digits) -%}
        (
            select 0 as n union all select 1 union all select 2 union all select 3
            union all select 4 union all select 5 union all select 6 union all select 7
            union all select 8 union all select 9
        ) as digit_{{ position }}{{ "\n        cross join " if not loop.last }}
        {%- endfor %}
{% endmacro %}


{% macro c360_calendar(bounds, first_day='first_day', last_day='last_day') %}
    {#- Every day from `first_day` to `last_day` (columns of `bounds`, a one-row relation)
        with its calendar attributes: the rows of dim_dates, defined here once for it and
        for the marts that need a calendar of their own span. Such a mart does not read
        dim_dates, so it is not rebuilt whenever an event lands on a new day. One select
        with subqueries, no WITH: a model puts it in a CTE, and Redshift refuses a WITH
        inside a WITH. -#}
    select
        date_day,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(quarter from date_day) as integer) as quarter_number,
        cast(extract(month from date_day) as integer) as month_number,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(dow from date_day) as integer) as day_of_week,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start_date,
        extract(dow from date_day) in (0, 6) as is_weekend
    from (
        select
            cast(
                {{ dbt.dateadd('day', 'day_numbers.day_number', 'calendar_bounds.' ~ first_day) }}
                as date
            ) as date_day
        from ({{ c360_day_numbers() }}) as day_numbers
        cross join {{ bounds }} as calendar_bounds
        where
            day_numbers.day_number
            <= {{ dbt.datediff('calendar_bounds.' ~ first_day, 'calendar_bounds.' ~ last_day, 'day') }}
    ) as calendar_days
{%- endmacro %}
