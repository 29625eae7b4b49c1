-- Redshift: how sorted each of c360's tables is, and its size, all tables listed. A table
-- whose sort key is mostly unsorted scans blocks its zone maps could have skipped; compare
-- over time to see whether automatic vacuum keeps up with the loads.
-- From svv_table_info; `dbt compile --target redshift`, then run the compiled SQL.
select
    "schema" as schema_name,
    "table" as table_name,
    sortkey1 as first_sort_key,
    tbl_rows as rows_total,
    size as size_mb,
    coalesce(unsorted, 0) as unsorted_percent,
    round(tbl_rows * coalesce(unsorted, 0) / 100.0) as unsorted_rows_estimate
from svv_table_info
where "schema" in ({{ c360_built_schemas() }})
order by unsorted_percent desc, size desc
