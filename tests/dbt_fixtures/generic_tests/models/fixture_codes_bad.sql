select 'a' as code
union all
select 'z'
union all
select null
