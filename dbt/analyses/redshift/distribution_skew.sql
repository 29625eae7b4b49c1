-- Redshift: c360's tables whose rows are unevenly spread over the slices. skew_rows is the
-- rows on the fullest slice over those on the emptiest; far above 1, one slice does most of
-- the work of every scan and join. A KEY-distributed table (dim_customers, fct_events) skews
-- when a few keys hold most rows: consider another dist key, or EVEN / AUTO.
-- From svv_table_info and svv_diskusage, joined on the table's id (a name alone would add
-- up core, core__audit and core__previous); `dbt compile --target redshift`, then run it.
with

slices as (
    select
        tbl as table_id,
        slice,
        count(*) as blocks
    from svv_diskusage
    group by tbl, slice
),

spread as (
    select
        table_id,
        count(distinct slice) as slices_used,
        max(blocks) as blocks_on_fullest_slice,
        min(blocks) as blocks_on_emptiest_slice
    from slices
    group by table_id
)

select
    info."schema" as schema_name,
    info."table" as table_name,
    info.diststyle,
    info.tbl_rows as rows_total,
    info.skew_rows,
    info.skew_sortkey1,
    spread.slices_used,
    spread.blocks_on_fullest_slice,
    spread.blocks_on_emptiest_slice
from svv_table_info as info
left join spread
    on info.table_id = spread.table_id
where
    info."schema" in ({{ c360_built_schemas() }})
    and (info.skew_rows > 4 or info.skew_sortkey1 > 4)
order by info.skew_rows desc
