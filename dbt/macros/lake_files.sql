{#- Raw data is parsed once: the landed_* models (staging/<source>/landed/) are incremental by
    lake file. A build lists the raw files the lake holds now, reads only those the model has
    not read yet, and deletes the rows of files that left the lake (`c360 unland`), so the
    table always holds exactly the rows of the files in the lake: what a full refresh reads.

    Files are named by their lake key (`raw/web/events/dt=.../x.json.gz`), so rows read from a
    raw file and rows read from its compacted copy are the same file, on every target, however
    the lake's root is spelled. Raw files are never deleted but by `c360 unland` (the lake is
    the system of record; compaction copies them), so the raw listing is the list of files.

    Where the list comes from, per target (c360_lake_files_query):
      DuckDB     glob() of the source's lake_glob: a listing, no file is opened;
      PostgreSQL the file names of the raw table the loader filled (its COPY parsed them);
      Redshift   c360_loader.raw_files, written by the load_raw step from the same listing,
                 and the new files' partitions are named in the filter so Spectrum scans only
                 those partitions. -#}

{% macro c360_lake_key(file_column) %}
    {{ return(adapter.dispatch('c360_lake_key')(file_column)) }}
{% endmacro %}

{% macro default__c360_lake_key(file_column) -%}
    substring({{ file_column }} from '(raw/(?:web|shop)/.*)$')
{%- endmacro %}

{% macro duckdb__c360_lake_key(file_column) -%}
    regexp_extract({{ file_column }}, '(raw/(web|shop)/.*)$', 1)
{%- endmacro %}

{% macro redshift__c360_lake_key(file_column) -%}
    regexp_substr({{ file_column }}, 'raw/(web|shop)/.*$')
{%- endmacro %}


{% macro c360_lake_files_query(source_name, table_name) %}
    {#- A query of one column, file: every raw file of the source in the lake now, named as
        the source's file column names it. -#}
    {{ return(adapter.dispatch('c360_lake_files_query')(source_name, table_name)) }}
{% endmacro %}

{% macro default__c360_lake_files_query(source_name, table_name) %}
    {{ return('select distinct filename as file from ' ~ source(source_name, table_name)) }}
{% endmacro %}

{% macro duckdb__c360_lake_files_query(source_name, table_name) %}
    {%- set pattern = env_var('C360_LAKE', var('c360_default_lake')) ~ '/' ~ c360_source_meta(source_name, table_name)['lake_glob'] -%}
    {{ return("select file from glob('" ~ pattern | replace("'", "''") ~ "')") }}
{% endmacro %}

{% macro redshift__c360_lake_files_query(source_name, table_name) %}
    {%- set relation = source(source_name, table_name) -%}
    {%- set listed = api.Relation.create(
        database=relation.database, schema=env_var('C360_SCHEMA_PREFIX', '') ~ 'c360_loader',
        identifier='raw_files') -%}
    {{ return("select url as file from " ~ listed ~ " where table_name = '"
        ~ relation.schema ~ "." ~ relation.identifier ~ "'") }}
{% endmacro %}


{% macro c360_source_meta(source_name, table_name) %}
    {%- set node = graph.sources.values()
        | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name)
        | first -%}
    {{ return(node.config.meta or node.meta) }}
{% endmacro %}


{% macro c360_unread_files(source_name, table_name) %}
    {#- A filter on the source's rows: every row on a first build or a full refresh; on an
        incremental build, only the rows of files the model has not read yet (none: no row).
        Compile-time: the list is asked of the warehouse when the model is compiled. -#}
    {%- if not execute or not c360_is_incremental() or model.resource_type == 'unit_test' -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {%- set listed -%}
        select listed.file
        from ({{ c360_lake_files_query(source_name, table_name) }}) as listed
        where {{ c360_lake_key('listed.file') }} not in (select distinct _lake_key from {{ this }})
        order by listed.file
    {%- endset -%}
    {%- set files = run_query(listed).columns[0].values() -%}
    {%- if files | length == 0 -%}
        {{ return('1 = 0') }}
    {%- endif -%}
    {{ log(this.identifier ~ ': ' ~ files | length ~ ' new lake file(s) to read', info=true) }}
    {%- set quoted = [] -%}
    {%- for file in files -%}
        {%- do quoted.append("'" ~ file | replace("'", "''") ~ "'") -%}
    {%- endfor -%}
    {%- set predicate = c360_source_file() ~ ' in (' ~ quoted | join(', ') ~ ')' -%}
    {{ return(adapter.dispatch('c360_unread_files_predicate')(predicate, files)) }}
{% endmacro %}

{% macro default__c360_unread_files_predicate(predicate, files) %}
    {#- DuckDB prunes the files a filter on filename excludes before opening them. -#}
    {{ return(predicate) }}
{% endmacro %}

{% macro redshift__c360_unread_files_predicate(predicate, files) %}
    {#- Spectrum prunes on partition columns compared with constants: name the new files'
        partitions too, so only those are scanned. -#}
    {%- set partitions = [] -%}
    {%- for file in files -%}
        {%- set values = [] -%}
        {%- for name, value in modules.re.findall('/([a-z_]+)=([^/]+)', file) -%}
            {%- do values.append(name ~ " = '" ~ value | replace("'", "''") ~ "'") -%}
        {%- endfor -%}
        {%- set clause = '(' ~ values | join(' and ') ~ ')' -%}
        {%- if values and clause not in partitions -%}
            {%- do partitions.append(clause) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if partitions -%}
        {{ return('(' ~ partitions | join(' or ') ~ ') and ' ~ predicate) }}
    {%- endif -%}
    {{ return(predicate) }}
{% endmacro %}


{% macro c360_forget_files_gone(source_name, table_name) %}
    {#- pre-hook of a landed model: on an incremental build, delete the rows of files no
        longer in the lake (a file taken back with `c360 unland`). -#}
    {%- if not c360_is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    delete from {{ this }}
    where _lake_key not in (
        select {{ c360_lake_key('listed.file') }}
        from ({{ c360_lake_files_query(source_name, table_name) }}) as listed
    )
{% endmacro %}


{% macro c360_landed_rows(source_name, table_name) %}
    {#- The body of a landed model of a text source: its columns as the files hold them, the
        partition values, and the file each row came from. -#}
    {%- if not execute -%}
        {#- Parsing: only the source matters (the graph is not there yet). -#}
        select * from {{ source(source_name, table_name) }}
    {%- else -%}
    {%- set node = graph.sources.values()
        | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name)
        | first -%}
    {%- set meta = node.config.meta or node.meta -%}
    select
        {%- for column in node.columns %}
        {{ column }},
        {%- endfor %}
        {%- for name in (meta.get('partition_columns') or {}) %}
        {{ name }},
        {%- endfor %}
        {{ c360_source_file() }} as _source_file,
        {{ c360_lake_key(c360_source_file()) }} as _lake_key
    from {{ c360_source(source_name, table_name) }}
    where {{ c360_unread_files(source_name, table_name) }}
    {%- endif %}
{% endmacro %}
