{% macro rejection_reason(rules) %}
    {#- The first rule a row breaks, as text; null when it breaks none. -#}
    case
    {%- for condition, reason in rules %}
        when {{ condition }} then {{ c360_string_literal(reason) }}
    {%- endfor %}
    end
{%- endmacro %}


{% macro unparseable(text_column, typed_column) %}
    {#- A value was given but is not usable (did not cast, or is outside its vocabulary):
        not the same as a missing value. -#}
    ({{ text_column }} is not null and trim({{ text_column }}) != '' and {{ typed_column }} is null)
{%- endmacro %}


{% macro c360_vocabulary_value(column, entity) %}
    {#- The column's value in its contract vocabulary (var c360_vocabularies, generated from
        loaders/contracts): trimmed and lower-cased, synonyms mapped, null when empty or
        outside the vocabulary. -#}
    {%- set vocabulary = var('c360_vocabularies')[entity][column] -%}
    case lower(trim({{ column }}))
        {%- for value in vocabulary['values'] %}
        when {{ c360_string_literal(value) }} then {{ c360_string_literal(value) }}
        {%- endfor %}
        {%- for spelling, value in vocabulary['synonyms'].items() %}
        when {{ c360_string_literal(spelling) }} then {{ c360_string_literal(value) }}
        {%- endfor %}
    end
{%- endmacro %}


{% macro c360_data_quality_issues(checks) %}
    {#- The attributes staging set to null because their value was unusable, e.g.
        'gender, birth_date'; null when there were none. The row itself is kept. -#}
    nullif(rtrim(
        {%- for condition, attribute in checks %}
        case when {{ condition }} then '{{ attribute }}, ' else '' end{{ " ||" if not loop.last }}
        {%- endfor %}
    , ', '), '')
{%- endmacro %}


{% macro c360_implausible_moment_rules(column, landed_at, landed_phrase) %}
    {#- The two rules that reject a row for an implausible timestamp, as (condition, reason)
        pairs for rejection_reason: `column` before var c360_earliest_plausible_date (a
        placeholder date, or a typo, e.g. 1900-01-01), or more than var
        c360_future_tolerance_hours after `landed_at`, the moment the row reached us
        (e.g. 2099). Either would move "today" or the first month of every mart. -#}
    {%- set earliest = "cast('" ~ var('c360_earliest_plausible_date') ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
    {%- set latest = dbt.dateadd('hour', var('c360_future_tolerance_hours'), landed_at) -%}
    {{ return([
        (column ~ " < " ~ earliest, column ~ " before c360_earliest_plausible_date"),
        (column ~ " > " ~ latest, column ~ " after " ~ landed_phrase),
    ]) }}
{%- endmacro %}


{% macro c360_export_landed_by(ingest_date) %}
    {#- When a shop export had certainly been landed: the end of its ingest_date (the lake
        partition says the day, not the moment). -#}
    {{ dbt.dateadd('day', 1, ingest_date) }}
{%- endmacro %}
