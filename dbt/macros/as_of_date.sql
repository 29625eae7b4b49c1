{#- Point in time. var as_of_date = D makes the build what it would have been at the end of
    day D: every model that reads staging keeps only what is dated before the first moment
    after D (c360_known_by_as_of), and every status is the one it had then (a line returned
    after D is still sold). Staging itself holds everything landed; the layers above it are
    as of D. Unset, nothing is cut and "today" is the last day of order activity. -#}

{% macro c360_as_of_date() %}
    {#- "Today" for the marts, as a date expression: var as_of_date when set, else the last
        day an order line was placed or returned. Never the wall clock, and never one row's
        typo: staging has rejected implausible dates. -#}
    {%- set fixed = c360_as_of_var() -%}
    {%- if fixed is not none -%}
        cast('{{ fixed }}' as date)
    {%- else -%}
        (
            select max(greatest(order_date, coalesce(cast(returned_at as date), order_date)))
            from {{ ref('int_order_lines_costed') }}
        )
    {%- endif -%}
{% endmacro %}


{% macro c360_as_of_end() %}
    {#- The first moment after "today", as a timestamp literal: the start of the day after
        var as_of_date, or c360_scd2_end when it is unset (then nothing is cut). -#}
    {%- set fixed = c360_as_of_var() -%}
    {%- if fixed is none -%}
        {{ return(c360_scd2_end()) }}
    {%- endif -%}
    {%- set next_day = modules.datetime.datetime.strptime(fixed, '%Y-%m-%d') + modules.datetime.timedelta(days=1) -%}
    {{ return("cast('" ~ next_day.strftime('%Y-%m-%d') ~ " 00:00:00' as " ~ dbt.type_timestamp() ~ ")") }}
{% endmacro %}


{% macro c360_known_by_as_of(moment) %}
    {#- True for a fact or version dated by the end of "today": `moment` before c360_as_of_end. -#}
    {{ moment }} < {{ c360_as_of_end() }}
{%- endmacro %}
