{% macro duckdb__safe_cast(field, type) %}
    {#- dbt's default safe_cast is a plain cast on DuckDB; try_cast gives null instead of failing. -#}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}


{% macro postgres__safe_cast(field, type) %}
    {#- PostgreSQL has no try_cast: c360_try_cast (created by c360_create_functions at the
        start of every run) returns null where the cast would fail. The typed null picks
        the result type; the outer cast restores a typmod such as numeric(18, 2). -#}
    cast({{ target.schema }}.c360_try_cast(cast({{ field }} as text), cast(null as {{ type }})) as {{ type }})
{%- endmacro %}


{% macro redshift__safe_cast(field, type) %}
    {#- Redshift's try_cast refuses blank strings, which mean "missing" here anyway. -#}
    try_cast(nullif(trim({{ field }}), '') as {{ type }})
{%- endmacro %}


{% macro c360_utc_timestamp(field) %}
    {#- An ISO 8601 text timestamp with an offset (the contracts' date-time) as a UTC
        timestamp, or null when it does not parse: `+02:00` is converted, not dropped. -#}
    {{ return(adapter.dispatch('c360_utc_timestamp')(field)) }}
{% endmacro %}

{% macro default__c360_utc_timestamp(field) %}
    {{ dbt.safe_cast(field, dbt.type_timestamp()) }}
{%- endmacro %}

{% macro duckdb__c360_utc_timestamp(field) %}
    timezone('UTC', try_cast({{ field }} as timestamptz))
{%- endmacro %}

{% macro postgres__c360_utc_timestamp(field) %}
    {{ target.schema }}.c360_utc_timestamp(cast({{ field }} as text))
{%- endmacro %}

{% macro redshift__c360_utc_timestamp(field) %}
    convert_timezone('UTC', try_cast(nullif(trim({{ field }}), '') as timestamptz))
{%- endmacro %}


{% macro c360_create_functions() %}
    {{ return(adapter.dispatch('c360_create_functions')()) }}
{% endmacro %}

{% macro default__c360_create_functions() %}
    {#- DuckDB and Redshift have try_cast and time zone conversion built in. -#}
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
        return cast(value as timestamptz) at time zone 'UTC';
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
