"""The app's one data-access module: read-only queries on the published warehouse.

Two backends, chosen by ``C360_TARGET`` like every c360 command:

- ``local``: the published DuckDB copy (``C360_PUBLISHED``), opened read-only. dbt never
  writes that file (publish replaces it with a rename), so the app keeps serving while a
  rebuild runs. Results are cached on the file's identity (inode, size, modification
  time): a publish is picked up by the next query.
- ``postgres`` and ``redshift``: the published schemas on the server, with the credentials
  of the dbt profile's variables (``C360_PG_*`` / ``C360_REDSHIFT_*`` and the
  ``DBT_ENV_SECRET_*`` passwords). Results are cached for ``CACHE_SECONDS``.

Every query is a ``Query`` of ``app/queries.py``: its SQL names relations as
``{analytics}.monthly_revenue`` (the published schema, with ``C360_SCHEMA_PREFIX`` on a
server) and values as ``:name``, always bound as parameters, never formatted into the SQL.
Failures reach pages as one-line ``WarehouseError``s, never tracebacks.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from c360.settings import Settings
from config import connections
from config.errors import first_line

CACHE_SECONDS = 300
PARAMETER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)\b")
RELATION = re.compile(r"\{(core|analytics|customer|ops|test_failures)\}\.(\w+)")


class WarehouseError(RuntimeError):
    """A query the page cannot answer, in one line a reader can act on."""


class MissingRelationError(WarehouseError):
    """The published warehouse has no such mart (an older build, or a shop-only lake)."""


@dataclass(frozen=True)
class Query:
    """One read of the app: SQL over published relations, with ``:name`` parameters."""

    name: str
    sql: str

    def __post_init__(self) -> None:
        if "%" in self.sql:  # the servers' drivers read % as a placeholder
            raise ValueError(f"query {self.name}: no literal % in SQL; bind a pattern as a parameter")

    @property
    def reads(self) -> tuple[str, ...]:
        """The relations it reads, as ``schema.table``; the dbt exposures must declare them."""
        return tuple(sorted({f"{schema}.{table}" for schema, table in RELATION.findall(self.sql)}))


class Warehouse:
    """Where the app reads from, for the settings' target."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.kind = "duckdb" if settings.target == "local" else settings.target

    @property
    def label(self) -> str:
        if self.kind == "duckdb":
            return f"DuckDB {self.settings.published}"
        return self.settings.warehouse_label()

    def identity(self) -> str:
        """Changes whenever what the app would read may have changed: the published file's
        inode, size and modification time; on a server, the current cache period."""
        if self.kind == "duckdb":
            path = self.settings.published
            try:
                found = path.stat()
            except FileNotFoundError:
                return f"{path}:missing"
            return f"{path}:{found.st_ino}:{found.st_size}:{found.st_mtime_ns}"
        return f"{self.label}:{int(time.time() // CACHE_SECONDS)}"

    def schema(self, name: str) -> str:
        if self.kind == "duckdb":
            return name
        return f"{self.settings.schema_prefix}{name}"

    def sql(self, query: Query) -> str:
        """The query's SQL with this warehouse's schemas and placeholders."""
        text = RELATION.sub(lambda match: f"{self.schema(match.group(1))}.{match.group(2)}", query.sql)
        placeholder = "$\\1" if self.kind == "duckdb" else "%(\\1)s"
        return PARAMETER.sub(placeholder, text)

    def run(self, query: Query, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """The query's rows; ``params`` are bound, and only those the SQL names are passed."""
        wanted = set(PARAMETER.findall(query.sql))
        bound = {name: value for name, value in (params or {}).items() if name in wanted}
        missing = wanted - set(bound)
        if missing:
            raise WarehouseError(f"query {query.name}: no value for {', '.join(sorted(missing))}")
        if self.kind == "duckdb":
            return self._run_duckdb(query, bound)
        return self._run_server(query, bound)

    def _run_duckdb(self, query: Query, bound: dict[str, Any]) -> pd.DataFrame:
        path = self.settings.published
        if not path.exists():
            raise WarehouseError(f"{path}: nothing published yet; run `c360 run` first")
        try:
            with duckdb.connect(str(path), read_only=True) as connection:
                return connection.execute(self.sql(query), bound).df()
        except duckdb.CatalogException as exc:
            raise _missing(query, str(exc)) from None
        except duckdb.Error as exc:
            raise WarehouseError(f"{path}: {first_line(exc)}") from None

    def _run_server(self, query: Query, bound: dict[str, Any]) -> pd.DataFrame:
        connection = self._connect()
        try:
            cursor = connection.cursor()
            cursor.execute(self.sql(query), bound)
            columns = [column[0] for column in cursor.description]
            return _like_duckdb(pd.DataFrame.from_records(list(cursor.fetchall()), columns=columns))
        except Exception as exc:
            message = first_line(exc)
            if "does not exist" in message and ("relation" in message or "schema" in message):
                raise _missing(query, message) from None
            raise WarehouseError(f"{self.label}: {message}") from None
        finally:
            connection.close()

    def _connect(self) -> Any:
        try:
            if self.kind == "postgres":
                return connections.postgres(read_only=True)
            import redshift_connector

            redshift_connector.paramstyle = "pyformat"
            return connections.redshift(autocommit=False, timeout=10)
        except Exception as exc:
            raise WarehouseError(f"cannot reach {self.label}: {first_line(exc)}") from None


def _like_duckdb(frame: pd.DataFrame) -> pd.DataFrame:
    """The server drivers' Python values as DuckDB's frames have them, so a page sees the
    same types on every backend: numerics as floats, dates and timestamps as datetimes."""
    for column in frame.columns:
        values = frame[column].dropna()
        if frame[column].dtype != object or values.empty:
            continue
        if all(isinstance(value, Decimal) for value in values):
            frame[column] = frame[column].astype(float)
        elif all(isinstance(value, date) for value in values):  # datetime is a date too
            frame[column] = pd.to_datetime(frame[column])
    return frame


def _missing(query: Query, message: str) -> MissingRelationError:
    reads = ", ".join(query.reads)
    return MissingRelationError(
        f"the published warehouse has no {reads} yet ({message[:120]}); run `c360 run` to build it"
    )


def from_environment() -> Warehouse:
    return Warehouse(Settings.resolve())
