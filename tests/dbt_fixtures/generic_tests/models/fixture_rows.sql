select 1 as id, 'a' as code, 5 as amount, current_timestamp as seen_at
union all
select 2, 'a', 10, current_timestamp
