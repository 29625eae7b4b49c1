-- Three of ten rows rejected (30 %), under two reasons.
select 1 as id, 'missing id' as rejection_reason
union all
select 2, 'missing id'
union all
select 3, 'quantity <= 0'
