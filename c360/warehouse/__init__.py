"""The warehouse: everything c360 does to it, on DuckDB, PostgreSQL and Redshift alike.

- ``dbt``: running dbt with the c360 profile, and reading its results.
- ``sources``: making the lake readable (PostgreSQL's COPY, Redshift's Spectrum) and
  checking source freshness.
- ``build``: the build in two parts (dbt, the CLV fit, dbt again), its vars checked first.
- ``clv_fit`` / ``clv_validate``: the CLV models fitted on the warehouse, and their backtest.
- ``readers`` / ``ledger``: what a build left (rows, rejections, accounts, failing tests),
  and the run ledger written into it.
- ``access``: one reader and one table writer for every target.
- ``locking`` / ``publish``: the warehouse lock, and write-audit-publish.
- ``postgres_init``: setting a PostgreSQL server up for the postgres target.
"""
