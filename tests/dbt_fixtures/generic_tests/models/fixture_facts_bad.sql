select 'f1' as fact_id, 'm1' as member_key
union all
select 'f2', 'm2'
union all
select 'f3', 'm2'
