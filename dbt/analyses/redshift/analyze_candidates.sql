-- Redshift: c360's tables whose planner statistics are stale, with the ANALYZE to run.
-- stats_off is how far (0-100) the statistics are from the table's contents; past 10 the
-- planner starts to misjudge join sizes and row counts, which shows as slow marts.
-- From svv_table_info; `dbt compile --target redshift`, then run the compiled SQL.
select
    "schema" as schema_name,
    "table" as table_name,
    tbl_rows as rows_total,
    stats_off as stale_statistics_percent,
    'analyze ' || quote_ident("schema") || '.' || quote_ident("table") || ';' as statement_to_run
from svv_table_info
where
    "schema" in ({{ c360_built_schemas() }})
    and stats_off > 10
order by stats_off desc, tbl_rows desc
