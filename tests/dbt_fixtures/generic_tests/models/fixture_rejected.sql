select 1 as id, cast(null as varchar) as rejection_reason where false
