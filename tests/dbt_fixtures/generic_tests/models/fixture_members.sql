select 'm1' as member_key, false as is_inferred
union all
select 'm2', true
