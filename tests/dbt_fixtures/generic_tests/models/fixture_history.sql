select 'k1' as key_id, timestamp '2025-01-01' as valid_from, timestamp '2025-02-01' as valid_to
union all
select 'k1', timestamp '2025-02-01', timestamp '9999-12-31'
union all
select 'k2', timestamp '2025-01-01', timestamp '9999-12-31'
