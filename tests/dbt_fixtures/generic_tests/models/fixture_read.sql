-- Ten rows read: the rejected fixtures below hold some of them.
select n as id from (values (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)) as rows_read (n)
