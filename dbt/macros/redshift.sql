{#- Redshift spellings of dbt macros. The project is first in the `dbt`
    dispatch search order (dbt_project.yml), so these replace dbt's own on Redshift. -#}

{% macro redshift__type_string() %}
    {#- dbt's string type is TEXT, which Redshift turns into VARCHAR(256) (Character types
        page): a URL, a search query or a text being hashed would be cut or refused. -#}
    {{ return('varchar(65535)') }}
{% endmacro %}


{% macro redshift__hash(field) %}
    {#- dbt's hash casts to TEXT, VARCHAR(256) on Redshift: longer texts would hash alike. -#}
    md5(cast({{ field }} as {{ redshift__type_string() }}))
{%- endmacro %}


{% macro redshift__get_unit_test_sql(main_sql, expected_fixture_sql, expected_column_names) -%}
    {#- dbt's unit test query puts the model's SQL, which starts with WITH, inside a WITH
        clause subquery; Redshift's WITH clause page says a WITH clause subquery can't hold
        another WITH clause. The same comparison as subqueries of a UNION ALL instead. -#}
    {%- set columns = expected_column_names | join(", ") -%}
    select {{ columns }}, {{ dbt.string_literal("actual") }} as {{ adapter.quote("actual_or_expected") }}
    from (
        {{ main_sql }}
    ) as _dbt_internal_unit_test_actual
    union all
    select {{ columns }}, {{ dbt.string_literal("expected") }} as {{ adapter.quote("actual_or_expected") }}
    from (
        {{ expected_fixture_sql }}
    ) as _dbt_internal_unit_test_expected
{%- endmacro %}
