-- Three rows read, every one of them rejected below.
select n as id from (values (1), (2), (3)) as rows_read (n)
