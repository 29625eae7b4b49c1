{% macro c360_valid_at(dimension, moment) %}
    {#- True for the SCD2 version of `dimension` that was valid at `moment`. Both ends are
        real timestamps (the current version ends at var c360_scd2_end), so engines plan a
        range join instead of a nested loop. -#}
    {{ moment }} >= {{ dimension }}.valid_from
    and {{ moment }} < {{ dimension }}.valid_to
{%- endmacro %}


{% macro c360_surrogate_key(columns) %}
    {#- A hash of the columns' text joined by '|': the same key on every engine. -#}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{% macro c360_row_hash(columns) %}
    {#- A hash of a row's values, nulls included, to tell two versions apart. Each value is
        written as its length, a colon and the value, and a null as `n`, so no two rows give
        the same text (a value holding the separator, or the text of a null sentinel, cannot
        pass for another). Text columns only: cast others in the caller (Redshift cannot
        cast a boolean to text). -#}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append(
            "coalesce(cast(length(" ~ column ~ ") as " ~ dbt.type_string() ~ ") || ':' || "
            ~ column ~ ", 'n')"
        ) -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{% macro c360_scd2_start() %}
    {#- The first version of a key reaches back to var c360_scd2_start, so every older fact finds one. -#}
    cast('{{ var("c360_scd2_start") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{% macro c360_scd2_end() %}
    {#- valid_to of the current version: var c360_scd2_end, far in the future. -#}
    cast('{{ var("c360_scd2_end") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{% macro c360_versions_collapsed(relation, key, attributes, fingerprint) %}
    {#- SCD2 history from every version of a key in `relation` (one row per key and
        updated_at), ordered by updated_at: a version whose `fingerprint` (text expressions
        over the attributes) equals the one before it is folded into it; each version gets
        its version_number and valid_to (the next version's updated_at, or c360_scd2_end).
        One select with subqueries, no WITH: a model puts it in a CTE, and Redshift refuses
        a WITH inside a WITH. -#}
    select
        {{ key }},
        cast(
            row_number() over (partition by {{ key }} order by updated_at) as integer
        ) as version_number,
        {%- for attribute in attributes %}
        {{ attribute }},
        {%- endfor %}
        updated_at,
        coalesce(
            lead(updated_at) over (partition by {{ key }} order by updated_at),
            {{ c360_scd2_end() }}
        ) as valid_to
    from (
        select *
        from (
            select
                *,
                lag(attributes_hash) over (partition by {{ key }} order by updated_at) as previous_hash
            from (
                select
                    *,
                    {{ c360_row_hash(fingerprint) }} as attributes_hash
                from {{ relation }}
            ) as fingerprinted
        ) as compared
        where previous_hash is null or previous_hash != attributes_hash
    ) as changes
{% endmacro %}


{% macro c360_inferred_keys(key, known, referenced_by) %}
    {#- The keys facts name (the `key` column of each relation in `referenced_by`, among its
        rows dated by "today") that no row of `known` has: the dimension's inferred members. -#}
    select distinct referenced.{{ key }}
    from (
        {%- for relation, moment in referenced_by %}
        select {{ key }} from {{ relation }}
        where {{ c360_known_by_as_of(moment) }}
        {{ "union all" if not loop.last }}
        {%- endfor %}
    ) as referenced
    left join (select distinct {{ key }} from {{ known }}) as known_keys
        on referenced.{{ key }} = known_keys.{{ key }}
    where referenced.{{ key }} is not null and known_keys.{{ key }} is null
{% endmacro %}
