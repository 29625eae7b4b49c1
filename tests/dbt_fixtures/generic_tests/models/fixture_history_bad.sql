-- k1 overlaps itself; k2 has two current versions; k3 has none; k4 has a gap.
select 'k1' as key_id, timestamp '2025-01-01' as valid_from, timestamp '2025-03-01' as valid_to
union all
select 'k1', timestamp '2025-02-01', timestamp '9999-12-31'
union all
select 'k2', timestamp '2025-01-01', timestamp '9999-12-31'
union all
select 'k2', timestamp '2025-02-01', timestamp '9999-12-31'
union all
select 'k3', timestamp '2025-01-01', timestamp '2025-02-01'
union all
select 'k4', timestamp '2025-01-01', timestamp '2025-02-01'
union all
select 'k4', timestamp '2025-03-01', timestamp '9999-12-31'
