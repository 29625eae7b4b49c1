{% macro c360_band(value, bands) %}
    {#- The name of the first band whose up_to the value does not exceed: bands is a list
        of {name, up_to} from a var, lowest up_to first (e.g. var c360_clv_tiers). Cast to
        the string type: a CASE of literals has no type a contract can check on Redshift. -#}
    cast(
        case
            {%- for band in bands %}
            when {{ value }} <= {{ band['up_to'] }} then {{ c360_string_literal(band['name']) }}
            {%- endfor %}
        end as {{ dbt.type_string() }}
    )
{%- endmacro %}


{% macro c360_quintile_score(value, best='highest') %}
    {#- A 1-5 score from the share of rows with a worse `value`: 1 + floor(5 x rows worse /
        rows). Equal values always get equal scores (a tie is never split, by id or
        otherwise), the rows nobody is worse than score 1 (e.g. every one-time buyer's
        frequency), and without ties the scores are quintiles. Computed on integers
        (a = 5 x rows worse, b = rows: 1 + (a - a mod b) / b), so no rounding moves a
        boundary. `best` says which end is best: 'highest' (frequency, revenue) or 'lowest'
        (days since the last purchase). -#}
    {%- set worst_first = 'asc' if best == 'highest' else 'desc' -%}
    {%- set a = '(5 * (rank() over (order by ' ~ value ~ ' ' ~ worst_first ~ ') - 1))' -%}
    {%- set b = 'count(*) over ()' -%}
    cast(1 + ({{ a }} - mod({{ a }}, {{ b }})) / {{ b }} as integer)
{%- endmacro %}
