select 'f1' as fact_id, 'm1' as member_key
