-- Redshift: c360's tables that need a VACUUM, most urgent first, with the statement to run.
-- A table needs one when a large share of its rows is unsorted (rows added since the last
-- sort, e.g. by fct_events' MERGE) or when deleted rows still take space. Redshift's
-- automatic vacuum catches up eventually; these are the ones to do now, after a large load.
-- From svv_table_info; `dbt compile --target redshift`, then run the compiled SQL.
select
    "schema" as schema_name,
    "table" as table_name,
    tbl_rows as rows_total,
    estimated_visible_rows as rows_visible,
    unsorted as unsorted_percent,
    vacuum_sort_benefit,
    'vacuum full ' || quote_ident("schema") || '.' || quote_ident("table")
    || ' to 99 percent;' as statement_to_run
from svv_table_info
where
    "schema" in ({{ c360_built_schemas() }})
    and (
        coalesce(unsorted, 0) > 10
        or tbl_rows - coalesce(estimated_visible_rows, tbl_rows) > 0.1 * tbl_rows
    )
order by coalesce(vacuum_sort_benefit, 0) desc, unsorted desc
