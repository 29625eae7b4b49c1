select n as id, 'missing id' as rejection_reason from (values (1), (2), (3)) as rejected (n)
