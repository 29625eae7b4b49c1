"""Reading and writing the built warehouse from Python, on every target.

``warehouse_reader`` is one connection for reading (SQL in, rows as dicts out);
``replace_tables`` writes tables c360 makes itself, beside the ones dbt makes: the run
ledger (``ledger``) and the CLV models' fit (``clv_fit``). Both speak to the
DuckDB file, PostgreSQL or Redshift as the settings say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa

from c360.settings import Settings
from config import connections
from loaders.warehouse.postgres_raw import connection_from_env

Query = Callable[[str], list[dict[str, Any]]]
Column = tuple[str, str]  # (name, type): text, json, bigint, integer, double precision, date
# Redshift's spelling of the types: TEXT would be VARCHAR(256) there, and a JSON document
# outgrows VARCHAR's 64 KB, so it is SUPER, filled with json_parse.
REDSHIFT_TYPES = {"text": "varchar(65535)", "json": "super"}
ROWS_PER_INSERT = 1000


@contextmanager
def warehouse_reader(settings: Settings) -> Iterator[Query | None]:
    """One connection to the built warehouse for reading, as a function from SQL to rows
    (dicts): the DuckDB file (read-only), or the PostgreSQL or Redshift database. None
    before a DuckDB warehouse exists."""
    if settings.target == "local":
        if not settings.warehouse.exists():
            yield None
            return
        with duckdb.connect(str(settings.warehouse), read_only=True) as duck:

            def duck_query(sql: str) -> list[dict[str, Any]]:
                cursor = duck.execute(sql)
                columns = [column[0] for column in cursor.description]
                return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

            yield duck_query
    else:
        server = connection_from_env() if settings.target == "postgres" else connections.redshift()
        try:
            cursor = server.cursor()

            def server_query(sql: str) -> list[dict[str, Any]]:
                cursor.execute(sql)
                columns = [column[0] for column in cursor.description or []]
                return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

            yield server_query
        finally:
            server.close()


def column_type(target: str, sql_type: str) -> str:
    """A column type as the target spells it (json is text outside Redshift)."""
    if target == "redshift":
        return REDSHIFT_TYPES.get(sql_type, sql_type)
    return "text" if sql_type == "json" else sql_type


def replace_tables(
    settings: Settings,
    schema: str,
    tables: dict[str, tuple[Sequence[Column], Sequence[Sequence[Any]]]],
    rows_per_insert: int = ROWS_PER_INSERT,
) -> None:
    """Drop and create each table of ``tables`` (name -> (columns, rows)) in ``schema``, and
    fill it, in one transaction on a server. Values are bound, never written into the SQL:
    many rows a statement on a server, an Arrow table on DuckDB."""
    statements = [f'create schema if not exists "{schema}"']
    # A server tracks the views that read a table (dbt's staging views over the CLV fit,
    # which the build makes again after it); DuckDB keeps no such dependency to cascade to.
    cascade = "" if settings.target == "local" else " cascade"
    for table, (columns, _rows) in tables.items():
        typed = ", ".join(f'"{name}" {column_type(settings.target, kind)}' for name, kind in columns)
        statements += [
            f'drop table if exists "{schema}".{table}{cascade}',
            f'create table "{schema}".{table} ({typed})',
        ]
    if settings.target == "local":
        with duckdb.connect(str(settings.warehouse)) as connection:
            connection.execute("begin")
            for statement in statements:
                connection.execute(statement)
            for table, (columns, rows) in tables.items():
                if rows:
                    # Arrow, not pandas: a missing float stays null (pandas would make it NaN).
                    names = [name for name, _kind in columns]
                    frame = pa.table(
                        {name: pa.array([row[i] for row in rows]) for i, name in enumerate(names)}
                    )
                    connection.register("c360_rows", frame)
                    connection.execute(f'insert into "{schema}".{table} select * from c360_rows')
                    connection.unregister("c360_rows")
            connection.execute("commit")
        return
    connection = (
        connection_from_env() if settings.target == "postgres" else connections.redshift(autocommit=False)
    )
    try:
        cursor = connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        for table, (columns, rows) in tables.items():
            marks = ", ".join(
                "json_parse(%s)" if settings.target == "redshift" and kind == "json" else "%s"
                for _name, kind in columns
            )
            for start in range(0, len(rows), rows_per_insert):
                batch = rows[start : start + rows_per_insert]
                tuples = ", ".join(f"({marks})" for _row in batch)
                cursor.execute(
                    f'insert into "{schema}".{table} values {tuples}',
                    [value for row in batch for value in row],
                )
        connection.commit()
    finally:
        connection.close()
