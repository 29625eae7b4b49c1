select 1 as id, 'a' as code, -5 as amount, current_timestamp - interval 30 day as seen_at
union all
select 1, 'a', 50, current_timestamp - interval 30 day
