{% macro c360_safe_cast(field, type) %}
    {#- A raw text value cast to `type`, or null where it does not cast (blank counts as
        missing): what staging uses to tell unusable values from good ones. dbt's own
        safe_cast is left as dbt ships it, for dbt's own use (unit test fixtures). -#}
    {{ return(adapter.dispatch('c360_safe_cast')(field, type)) }}
{% endmacro %}

{% macro default__c360_safe_cast(field, type) %}
    {{ dbt.safe_cast(field, type) }}
{%- endmacro %}

{% macro duckdb__c360_safe_cast(field, type) %}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{% macro postgres__c360_safe_cast(field, type) %}
    {#- PostgreSQL has no try_cast: c360_try_cast (created by c360_create_functions at the
        start of every run) returns null where the cast would fail. The typed null picks
        the result type; the outer cast restores a typmod such as numeric(18, 2). -#}
    cast({{ target.schema }}.c360_try_cast(cast({{ field }} as text), cast(null as {{ type }})) as {{ type }})
{%- endmacro %}

{% macro redshift__c360_safe_cast(field, type) %}
    {#- Redshift's try_cast refuses blank strings, which mean "missing" here anyway. -#}
    try_cast(nullif(trim({{ field }}), '') as {{ type }})
{%- endmacro %}


{% macro c360_utc_timestamp(field) %}
    {#- An ISO 8601 text timestamp with an offset (the contracts' date-time, as RFC 3339 allows
        it: `T` or `t`, `Z` or `z`, any number of fractional digits) as a UTC timestamp to the
        microsecond, or null when it does not parse: `+02:00` is converted, not dropped, and
        every engine keeps and rejects the same values. -#}
    {{ return(adapter.dispatch('c360_utc_timestamp')(field)) }}
{% endmacro %}

{% macro default__c360_utc_timestamp(field) %}
    {{ c360_safe_cast(field, dbt.type_timestamp()) }}
{%- endmacro %}

{% macro duckdb__c360_utc_timestamp(field) %}
    {#- DuckDB truncates digits past the microsecond, and reads only upper-case T and Z. -#}
    timezone('UTC', try_cast(upper({{ field }}) as timestamptz))
{%- endmacro %}

{% macro postgres__c360_utc_timestamp(field) %}
    {{ target.schema }}.c360_utc_timestamp(cast({{ field }} as text))
{%- endmacro %}

{% macro redshift__c360_utc_timestamp(field) %}
    {#- Redshift's TIMESTAMPTZ input documents `yyyy-mm-dd hh:mi:ss+/-tz` with at most six
        fractional digits (the Datetime types page), not RFC 3339's `T` and `Z`: the text is
        brought to that form first (upper-cased, the T a space, Z as +00, digits past the
        sixth dropped; no backreferences, which REGEXP_REPLACE does not document). -#}
    {%- set text = "replace(upper(nullif(trim(" ~ field ~ "), '')), 'T', ' ')" -%}
    {%- set zoned = "regexp_replace(" ~ text ~ ", 'Z$', '+00')" -%}
    {%- set micro = (
        "case when " ~ zoned ~ " ~ '[.][0-9]{7,}'"
        ~ " then regexp_substr(" ~ zoned ~ ", '^[^.]*[.][0-9]{6}')"
        ~ " || regexp_substr(" ~ zoned ~ ", '[+-][0-9]{2}(:?[0-9]{2})?$')"
        ~ " else " ~ zoned ~ " end"
    ) -%}
    convert_timezone('UTC', try_cast({{ micro }} as timestamptz))
{%- endmacro %}


{% macro c360_create_functions() %}
    {{ return(adapter.dispatch('c360_create_functions')()) }}
{% endmacro %}

{% macro default__c360_create_functions() %}
    {#- DuckDB has try_cast and time zone conversion built in. -#}
    select 1
{% endmacro %}

{% macro redshift__c360_create_functions() %}
    {#- Redshift has try_cast and convert_timezone built in, and its CREATE FUNCTION takes
        only SQL and Python, so the PostgreSQL functions below must never reach it (dispatch
        falls back from redshift__ to postgres__). -#}
    select 1
{% endmacro %}

{% macro postgres__c360_create_functions() %}
    {#- A PL/pgSQL assignment converts text to the variable's type (the type of `example`),
        and the exception handler turns a failed conversion into null. PostgreSQL also reads
        words as dates and numbers ('today', 'yesterday', 'epoch', 'NaN', 'infinity'), which
        DuckDB and Redshift refuse: those are null here too, so every engine keeps and rejects
        the same rows. -#}
    create or replace function {{ target.schema }}.c360_try_cast(value text, example anyelement)
    returns anyelement
    language plpgsql
    immutable
    as $$
    declare
        result example%type;
    begin
        if pg_typeof(example) in ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype)
            and value !~ '^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}' then
            return null;
        end if;
        if pg_typeof(example) in ('numeric'::regtype, 'integer'::regtype, 'bigint'::regtype,
                'double precision'::regtype, 'real'::regtype)
            and value ~* '(nan|inf)' then
            return null;
        end if;
        result := value;
        return result;
    exception when others then
        return null;
    end;
    $$;

    {#- The function pins its own time zone, so a session's TimeZone cannot shift results. -#}
    create or replace function {{ target.schema }}.c360_utc_timestamp(value text)
    returns timestamp
    language plpgsql
    immutable
    set timezone = 'UTC'
    as $$
    begin
        if value !~ '^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}' then
            return null;
        end if;
        {#- As DuckDB does: digits past the microsecond are dropped, not rounded. #}
        return cast(regexp_replace(upper(value), '([.][0-9]{6})[0-9]+', '\1') as timestamptz)
            at time zone 'UTC';
    exception when others then
        return null;
    end;
    $$
{% endmacro %}


{% macro c360_source_file() %}
    {{ return(adapter.dispatch('c360_source_file')()) }}
{% endmacro %}

{% macro default__c360_source_file() %}
    {#- DuckDB's readers (filename = true) and the PostgreSQL raw loader name the column so. -#}
    filename
{%- endmacro %}

{% macro redshift__c360_source_file() %}
    {#- Spectrum's pseudo-column: the S3 object a row was read from. -#}
    "$path"
{%- endmacro %}
