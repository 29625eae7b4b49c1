{#- Raw data is parsed once: the landed_* models (staging/<source>/landed/) are incremental by
    lake file. A build lists the raw files the lake holds now, reads only those the model has
    not read yet, and deletes the rows of files that left the lake (`c360 unland`), so the
    table always holds exactly the rows of the files in the lake: what a full refresh reads.

    Files are named by their lake key (`raw/web/events/dt=.../x.json.gz`), so rows read from a
    raw file and rows read from its compacted copy are the same file, on every target, however
    the lake's root is spelled: a landed row's `_source_file` is that key. A file is in the lake while its raw copy is, or a committed
    compaction keeps its rows (c360_compacted_inputs): only `c360 unland` takes one out.

    Where the list comes from, per target (c360_lake_files_query):
      DuckDB     glob() of the source's lake_glob, and the committed manifests' inputs: a
                 listing, no raw file is opened;
      PostgreSQL the file names of the raw tables the loader filled (its COPY parsed them);
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


{% macro c360_lake_files_query(source_name, table_name, copies=none) %}
    {#- A query of one column, file: every raw file of the source in the lake now, named as
        the source's file column names it, and the files `copies` lists. -#}
    {%- set listed = adapter.dispatch('c360_lake_files_query')(source_name, table_name) -%}
    {{ return(listed ~ ('\nunion\n' ~ copies if copies else '')) }}
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


{% macro c360_source_node(source_name, table_name) %}
    {#- The source table's node in dbt's graph (its columns, its meta); compile time only. -#}
    {{ return(graph.sources.values()
        | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name)
        | first) }}
{% endmacro %}

{% macro c360_source_meta(source_name, table_name) %}
    {%- set node = c360_source_node(source_name, table_name) -%}
    {{ return(node.config.meta or node.meta) }}
{% endmacro %}


{% macro c360_unread(source_name, table_name, copies=none) %}
    {#- What this build of a landed model reads: {'all': true} on a first build or a full
        refresh; else {'files': [...], 'keys': [...]}, the files (as the source's file column
        names them) and lake keys in the lake that the model has not read. `copies`: a
        query of one column, file, listing files whose rows are also kept elsewhere
        (compacted events), which count as in the lake. Compile-time: asked of the warehouse
        when the model is compiled.
        A first build or full refresh with copies reads all of them, and of the raw files
        only those no copy keeps ({'all': true, 'files': [...], 'keys': [...]}): parsing the
        raw files of a compacted hour too, to drop their rows after, read every event of a
        compacted lake twice. -#}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return({'all': true}) }}
    {%- endif -%}
    {%- set full = not c360_is_incremental() -%}
    {%- if full and not copies -%}
        {{ return({'all': true}) }}
    {%- elif full -%}
        {#- Every raw file, less those a copy keeps. -#}
        {%- set lake_files = c360_lake_files_query(source_name, table_name) -%}
        {%- set leave_out -%}
            select {{ c360_lake_key('copied.file') }} from ({{ copies }}) as copied
            where {{ c360_lake_key('copied.file') }} is not null
        {%- endset -%}
    {%- else -%}
        {#- Every file in the lake, less those this model has read. -#}
        {%- set lake_files = c360_lake_files_query(source_name, table_name, copies) -%}
        {%- set leave_out = 'select distinct _source_file from ' ~ this -%}
    {%- endif -%}
    {%- set listed -%}
        select distinct listed.file, {{ c360_lake_key('listed.file') }} as lake_key
        from ({{ lake_files }}) as listed
        where {{ c360_lake_key('listed.file') }} not in ({{ leave_out }})
        order by listed.file
    {%- endset -%}
    {%- set found = run_query(listed) -%}
    {%- set files = found.columns[0].values() | list -%}
    {%- set keys = found.columns[1].values() | unique | list -%}
    {%- if files and not full -%}
        {{ log(this.identifier ~ ': ' ~ keys | length ~ ' new lake file(s) to read', info=true) }}
    {%- endif -%}
    {{ return({'all': full, 'files': files, 'keys': keys}) }}
{% endmacro %}


{% macro c360_quoted_list(values) %}
    {%- set quoted = [] -%}
    {%- for value in values -%}
        {%- do quoted.append("'" ~ value | replace("'", "''") ~ "'") -%}
    {%- endfor -%}
    {{ return('(' ~ quoted | join(', ') ~ ')') }}
{% endmacro %}


{% macro c360_partitions_of(keys) %}
    {#- The partitions of lake keys as a filter: (dt = 'D' and hr = 'H') or ... -#}
    {%- set partitions = [] -%}
    {%- for key in keys -%}
        {%- set values = [] -%}
        {%- for name, value in modules.re.findall('/([a-z_]+)=([^/]+)', key) -%}
            {%- do values.append(name ~ " = '" ~ value | replace("'", "''") ~ "'") -%}
        {%- endfor -%}
        {%- set clause = '(' ~ values | join(' and ') ~ ')' -%}
        {%- if values and clause not in partitions -%}
            {%- do partitions.append(clause) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('(' ~ partitions | join(' or ') ~ ')' if partitions else '') }}
{% endmacro %}


{% macro c360_unread_files(unread) %}
    {#- The filter on a raw source's rows for what `unread` (c360_unread) says to read.
        DuckDB prunes the files a filter on filename excludes before opening them;
        Spectrum prunes on partition columns compared with constants, so on Redshift the
        new files' partitions are named too. -#}
    {%- if unread['all'] and unread.get('files') is none -%}
        {{ return('1 = 1') }}
    {%- elif not unread['files'] -%}
        {{ return('1 = 0') }}
    {%- endif -%}
    {%- set predicate = c360_source_file() ~ ' in ' ~ c360_quoted_list(unread['files']) -%}
    {{ return(adapter.dispatch('c360_pruned_to_files')(predicate, unread['keys'])) }}
{% endmacro %}

{% macro default__c360_pruned_to_files(predicate, keys) %}
    {{ return(predicate) }}
{% endmacro %}

{% macro redshift__c360_pruned_to_files(predicate, keys) %}
    {%- set partitions = c360_partitions_of(keys) -%}
    {{ return((partitions ~ ' and ' if partitions else '') ~ predicate) }}
{% endmacro %}


{% macro c360_unread_copies(unread, file_column) %}
    {#- The filter on compacted rows for what `unread` says to read: those of new files
        (in their hours only, so the other partitions are pruned). -#}
    {%- if unread['all'] -%}
        {{ return('1 = 1') }}
    {%- elif not unread['keys'] -%}
        {{ return('1 = 0') }}
    {%- endif -%}
    {%- set partitions = c360_partitions_of(unread['keys']) -%}
    {{ return((partitions ~ ' and ' if partitions else '') ~ c360_lake_key(file_column)
        ~ ' in ' ~ c360_quoted_list(unread['keys'])) }}
{% endmacro %}


{% macro c360_compacted_inputs() %}
    {#- A query of the raw files whose rows compaction keeps (c360_lake_files_query's
        copies): the inputs of every committed manifest on DuckDB, the files named in the
        compacted table on PostgreSQL; on Redshift the load step lists them in raw_files. -#}
    {{ return(adapter.dispatch('c360_compacted_inputs')()) }}
{% endmacro %}

{% macro default__c360_compacted_inputs() %}
    {{ return('select distinct _source_file as file from ' ~ source('web', 'events_compacted')) }}
{% endmacro %}

{% macro duckdb__c360_compacted_inputs() %}
    {%- if not execute or not c360_lake_has_files('compacted/web/events/*/*/_manifest.json') -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("select '" ~ env_var('C360_LAKE', var('c360_default_lake')) | replace("'", "''")
        ~ "/' || unnest(inputs) as file from " ~ source('web', 'events_compaction_manifests')) }}
{% endmacro %}

{% macro redshift__c360_compacted_inputs() %}
    {{ return(none) }}
{% endmacro %}


{% macro c360_forget_files_gone(source_name, table_name, copies=none) %}
    {#- pre-hook of a landed model: on an incremental build, delete the rows of files no
        longer in the lake (a file taken back with `c360 unland`). -#}
    {%- if not c360_is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    delete from {{ this }}
    where _source_file not in (
        select {{ c360_lake_key('listed.file') }}
        from ({{ c360_lake_files_query(source_name, table_name, copies) }}) as listed
    )
{% endmacro %}


{% macro c360_landed_rows(source_name, table_name) %}
    {#- The body of a landed model of a text source: its columns as the files hold them, the
        partition values, and the file each row came from. -#}
    {%- if not execute -%}
        {#- Parsing: only the source matters (the graph is not there yet). -#}
        select * from {{ source(source_name, table_name) }}
    {%- else -%}
    {%- set node = c360_source_node(source_name, table_name) -%}
    {%- set meta = c360_source_meta(source_name, table_name) -%}
    select
        {%- for column in node.columns %}
        {{ column }},
        {%- endfor %}
        {%- for name in (meta.get('partition_columns') or {}) %}
        {{ name }},
        {%- endfor %}
        {{ c360_lake_key(c360_source_file()) }} as _source_file
    from {{ c360_source(source_name, table_name) }}
    where {{ c360_unread_files(c360_unread(source_name, table_name)) }}
    {%- endif %}
{% endmacro %}


{#- A model over a landed model can be incremental by lake file too, when each of its rows
    depends on its own landed row alone (base_web__events: per-row rules): it reads the rows
    of files it has not read, and drops those of files gone from the landed model. -#}

{% macro c360_unread_rows() %}
    {%- if not execute or model.resource_type == 'unit_test' or not c360_is_incremental() -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {{ return('_source_file not in (select distinct _source_file from ' ~ this ~ ')') }}
{% endmacro %}

{#- A model that combines several rows of one key (stg_web__events keeps the first arrival
    of each event_id) is incremental by key instead: it computes again every key whose rows
    may have changed, those of the parent's rows in files it has not read, and those of its
    own rows whose file is gone from the parent (with unique_key = key, and
    c360_forget_rows_gone(parent) as a post-hook for the keys left with no row at all). -#}

{% macro c360_touched_keys(parent, key) %}
    {%- if not c360_increments_by(['_source_file']) -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {%- set touched -%}
        {{ key }} in (
            select {{ key }} from {{ parent }}
            where {{ c360_unread_rows() }}
            union all
            select {{ key }} from {{ this }}
            where _source_file not in (select distinct _source_file from {{ parent }})
        )
    {%- endset -%}
    {{ return(touched) }}
{% endmacro %}

{#- A model whose rows summarise a group of its parent's rows (int_events_sessionized: a
    visitor's sessions from their events) is incremental by group: each of its rows keeps
    the count and the digest (column _digest: the sum of c360_row_digest) of the parent
    rows it summarises, and a build computes again the groups whose count or digest in the
    parent differ from its own (new, changed and vanished groups alike). Use it with
    unique_key = key, the delete+insert strategy, and c360_forget_rows_gone(parent, key) as a
    post-hook. -#}

{% macro c360_changed_groups(parent, key, parent_filter='1 = 1', count_column='_rows') %}
    {%- if not c360_increments_by([count_column, '_digest']) -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {%- set changed -%}
        {{ key }} in (
            select coalesce(now_in_parent.{{ key }}, as_built.{{ key }})
            from (
                select {{ key }}, count(*) as row_count, sum({{ c360_row_digest() }}) as digest
                from {{ parent }}
                where {{ parent_filter }}
                group by {{ key }}
            ) as now_in_parent
            full outer join (
                select {{ key }}, sum({{ count_column }}) as row_count, sum(_digest) as digest
                from {{ this }}
                group by {{ key }}
            ) as as_built
                on now_in_parent.{{ key }} = as_built.{{ key }}
            where
                now_in_parent.row_count is null
                or as_built.row_count is null
                or now_in_parent.row_count <> as_built.row_count
                or now_in_parent.digest <> as_built.digest
        )
    {%- endset -%}
    {{ return(changed) }}
{% endmacro %}

{% macro c360_increments_by(columns) %}
    {#- Whether this build of the model is incremental and its table has the columns the
        incremental filter reads. A table built before one of them existed is computed whole
        once (with on_schema_change='append_new_columns' the column is added), so a new
        release needs no manual full refresh. -#}
    {%- if not execute or model.resource_type == 'unit_test' or not c360_is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if var('c360_assume_incremental', none) is not none -%}
        {{ return(true) }}  {#- compiling offline: no warehouse to ask -#}
    {%- endif -%}
    {%- set present = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {{ return(columns | map('lower') | reject('in', present) | list | length == 0) }}
{% endmacro %}

{% macro c360_row_digest(key_columns=['event_id', '_source_file']) %}
    {#- A row's part of a group's digest: a 32-bit hash of its key columns (an event is its id
        and the lake file it came from), as a bigint; a group's digest is their sum. -#}
    {{ adapter.dispatch('c360_hash_bigint')(c360_surrogate_key(key_columns)) }}
{%- endmacro %}

{% macro default__c360_hash_bigint(hex) %}
    {#- The first 8 hex digits of an md5 as a number: PostgreSQL reads hex through bit(64). -#}
    ('x' || lpad(substr({{ hex }}, 1, 8), 16, '0'))::bit(64)::bigint
{%- endmacro %}

{% macro duckdb__c360_hash_bigint(hex) %}
    cast(('0x' || substr({{ hex }}, 1, 8)) as bigint)
{%- endmacro %}

{% macro redshift__c360_hash_bigint(hex) %}
    strtol(substr({{ hex }}, 1, 8), 16)
{%- endmacro %}

{% macro c360_forget_rows_gone(parent, key='_source_file', parent_filter='1 = 1') %}
    {#- The hook of an incremental model deleting its rows whose key (by default the lake
        file) is gone from the parent (or from the parent rows it reads). -#}
    {%- if not c360_is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    delete from {{ this }}
    where {{ key }} not in (select distinct {{ key }} from {{ parent }} where {{ parent_filter }})
{% endmacro %}
