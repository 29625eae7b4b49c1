"""Load the lake's raw files into PostgreSQL with COPY: the PostgreSQL target's Spectrum.

On Redshift the dbt sources (``raw_shop.customers``, ``raw_web.events``, ...) are Spectrum
external tables over the lake; on PostgreSQL they are ordinary tables of the same names
and columns, filled here. The tables are the Spectrum tables (``loaders.spectrum``), so
both warehouses see one shape: text columns for the text files, typed columns for the
compacted Parquet, the partition values as columns, and ``filename`` naming the lake
file each row came from (DuckDB's readers give the same column).

Loading is idempotent. ``c360_loader.loaded_files`` records every file loaded, in the
same transaction as its rows, so a file is loaded once however often this runs, and a
crash leaves either all of a file or none of it. A compacted hour is loaded from the
parts its manifest commits; when a later compaction replaces the manifest, the hour's
rows are replaced with it.

Nothing is silently dropped: a CSV row whose field count differs from its header, or a
header with a column the contract does not have, stops the load with a one-line error
naming the file and line (the same files fail DuckDB's strict reader).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow.parquet as pq

from config import connections
from config.errors import first_line
from loaders.contracts import contract
from loaders.lake import layout
from loaders.lake.storage import Lake
from loaders.warehouse.spectrum import LOADER_SCHEMA, TEXT, ExternalTable, external_tables

SOURCE_FILE_COLUMN = "filename"


class RawLoadError(ValueError):
    """A lake file cannot be loaded as it is; the message names the file and the reason."""


@dataclass
class LoadResult:
    table: str
    files_loaded: int = 0
    files_skipped: int = 0
    rows: int = 0
    files_removed: int = 0  # loaded once, gone from the lake since (c360 unland): rows deleted


@dataclass(frozen=True)
class RawTable:
    """A raw table on PostgreSQL: the Spectrum table's columns, partitions and lineage."""

    spec: ExternalTable

    @property
    def name(self) -> str:
        return f"{self.spec.schema}.{self.spec.name}"

    @property
    def is_compacted(self) -> bool:
        return self.spec.name.endswith("_compacted")

    @property
    def is_csv(self) -> bool:
        return not self.is_compacted and contract(self.spec.name).file_format == "csv"

    @property
    def columns(self) -> list[tuple[str, str]]:
        """Data columns, partition columns, then ``filename`` for the raw text tables."""
        columns = [(name, _pg_type(sql_type)) for name, sql_type in self.spec.columns]
        columns += [(name, _pg_type(sql_type)) for name, sql_type in self.spec.partition_columns]
        if not self.is_compacted:
            columns.append((SOURCE_FILE_COLUMN, "text"))
        return columns

    def create_sql(self) -> str:
        columns = ",\n".join(f"    {name} {sql_type}" for name, sql_type in self.columns)
        return f"create table if not exists {self.name} (\n{columns}\n)"


def _pg_type(sql_type: str) -> str:
    return "text" if sql_type == TEXT else sql_type


def raw_tables(schema_prefix: str = "") -> list[RawTable]:
    """The raw tables, in ``<schema_prefix>raw_<source>`` (``C360_SCHEMA_PREFIX``)."""
    return [RawTable(spec) for spec in external_tables(schema_prefix)]


def connection_from_env() -> Any:
    """A psycopg2 connection with the dbt profile's `postgres` settings (same variables)."""
    try:
        return connections.postgres()
    except connections.ConnectionFailedError as exc:
        raise RawLoadError(str(exc)) from None


# --- encoding rows for COPY's text format -------------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, datetime | date):
        text = value.isoformat()
    elif isinstance(value, int | float):
        text = json.dumps(value)
    else:  # a nested JSON value: its JSON text, as DuckDB's varchar reading gives
        text = json.dumps(value, separators=(",", ":"))
    if "\x00" in text:
        raise RawLoadError("a value contains a NUL character, which PostgreSQL text cannot hold")
    return text.translate(_ESCAPES)


def _copy_line(row: list[Any]) -> bytes:
    return ("\t".join(_copy_value(value) for value in row) + "\n").encode("utf-8")


class _CopyStream(io.RawIOBase):
    """COPY text produced as COPY reads it: a file is never held as one big string."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self._lines = lines
        self._pending = b""
        self.rows = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = size if size > 0 else 1 << 16
        chunks = [self._pending]
        length = len(self._pending)
        while length < size and (line := next(self._lines, None)) is not None:
            chunks.append(line)
            length += len(line)
            self.rows += 1
        data = b"".join(chunks)
        self._pending = data[size:]
        return data[:size]


# --- reading lake files as rows in the table's column order -------------------------------


def _csv_rows(table: RawTable, key: str, data: bytes, source: str) -> Iterator[list[Any]]:
    contract_columns = [name for name, _type in table.spec.columns]
    partition = layout.partition_values(key)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RawLoadError(f"{source}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    unknown = [name for name in header if name not in contract_columns]
    if unknown:
        raise RawLoadError(f"{source}: header has columns the contract does not: {', '.join(unknown)}")
    positions = [header.index(name) if name in header else None for name in contract_columns]
    try:
        for row in reader:
            if len(row) != len(header):
                raise RawLoadError(
                    f"{source}: line {reader.line_num} has {len(row)} fields, the header has {len(header)}"
                )
            # Empty fields are NULL, as DuckDB's CSV reader reads them.
            values = [None if p is None or row[p] == "" else row[p] for p in positions]
            yield [*values, partition["ingest_date"], source]
    except csv.Error as exc:
        raise RawLoadError(f"{source}: line {reader.line_num}: {exc}") from None


def _ndjson_rows(table: RawTable, key: str, data: bytes, source: str) -> Iterator[list[Any]]:
    names = [name for name, _type in table.spec.columns]
    partition = layout.partition_values(key)
    try:
        lines = gzip.decompress(data).splitlines()
    except (OSError, EOFError) as exc:
        raise RawLoadError(f"{source}: not gzip ({exc})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise RawLoadError(f"{source}: line {number} is not JSON ({exc})") from None
        if not isinstance(record, dict):
            raise RawLoadError(f"{source}: line {number} is not a JSON object")
        yield [*(record.get(name) for name in names), partition["dt"], partition["hr"], source]


def _parquet_rows(table: RawTable, key: str, data: bytes, source: str) -> Iterator[list[Any]]:
    names = [name for name, _type in table.spec.columns]
    partition = layout.partition_values(key)
    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise RawLoadError(f"{source}: cannot read as Parquet ({exc})") from None
    missing = [name for name in names if name not in parquet.schema_arrow.names]
    if missing:
        raise RawLoadError(f"{source}: Parquet lacks columns {', '.join(missing)}")
    for batch in parquet.iter_batches(columns=names):  # a row group at a time, not the file
        columns = [batch.column(name).to_pylist() for name in names]
        for values in zip(*columns, strict=True):
            yield [*values, partition["dt"], partition["hr"]]


# --- the load -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    """What is loaded in one transaction: a raw file, or one compacted hour's parts."""

    key: str  # the file, or the hour's manifest
    fingerprint: str
    files: list[str]


def _units(table: RawTable, lake: Lake) -> list[_Unit]:
    keys = lake.list_keys(table.spec.prefix)
    if not table.is_compacted:
        suffix = ".csv" if table.is_csv else ".json.gz"
        return [_Unit(key, key, [key]) for key in keys if key.endswith(suffix)]
    units = []
    for key in keys:
        if key.endswith("/" + layout.MANIFEST):
            data = lake.get_bytes(key)
            parts = json.loads(data)["parts"]
            units.append(_Unit(key, hashlib.sha256(data).hexdigest(), list(parts)))
    return units


def _ensure_tables(cursor: Any, tables: list[RawTable], loader: str) -> None:
    for schema in sorted({table.spec.schema for table in tables} | {loader}):
        cursor.execute(f"create schema if not exists {schema}")
    cursor.execute(
        f"create table if not exists {loader}.loaded_files ("
        " table_name text not null, file_key text not null, fingerprint text not null,"
        " rows bigint not null, loaded_at timestamptz not null default now(),"
        " primary key (table_name, file_key))"
    )
    for table in tables:
        cursor.execute(table.create_sql())


def load_raw(
    lake: Lake,
    connection: Any,
    tables: list[RawTable] | None = None,
    progress: Callable[[str], None] = lambda _message: None,
    schema_prefix: str = "",
) -> list[LoadResult]:
    """Load every lake file not loaded yet into its raw table; one transaction per file.

    The tables are in ``<schema_prefix>raw_<source>`` and the ledger of loaded files in
    ``<schema_prefix>c360_loader`` (``C360_SCHEMA_PREFIX``: a developer's own schemas)."""
    tables = tables if tables is not None else raw_tables(schema_prefix)
    loader = f"{schema_prefix}{LOADER_SCHEMA}"
    with connection.cursor() as cursor:
        _ensure_tables(cursor, tables, loader)
    connection.commit()
    results = []
    for table in tables:
        result = LoadResult(table.name)
        with connection.cursor() as cursor:
            cursor.execute(
                f"select file_key, fingerprint from {loader}.loaded_files where table_name = %s",
                [table.name],
            )
            loaded = dict(cursor.fetchall())
        units = _units(table, lake)
        present = {unit.key for unit in units}
        for gone in sorted(set(loaded) - present):
            _remove_unit(table, gone, lake, connection, loader)
            result.files_removed += 1
        for unit in units:
            if loaded.get(unit.key) == unit.fingerprint:
                result.files_skipped += 1
                continue
            result.rows += _load_unit(table, unit, lake, connection, loader, replace=unit.key in loaded)
            result.files_loaded += 1
        if result.files_loaded or result.files_removed:
            # Fresh statistics now, not when autovacuum gets to it: without them the
            # planner takes a big raw table for a few rows and picks nested loops.
            with connection.cursor() as cursor:
                cursor.execute(f"analyze {table.name}")
            connection.commit()
        progress(
            f"{table.name}: {result.files_loaded} files loaded ({result.rows} rows),"
            f" {result.files_skipped} loaded before, {result.files_removed} gone from the lake"
        )
        results.append(result)
    return results


def _remove_unit(table: RawTable, key: str, lake: Lake, connection: Any, loader: str) -> None:
    """Delete the rows of a file (or compacted hour) that is no longer in the lake.

    The lake is the system of record: a file taken back with ``c360 unland`` leaves the
    raw tables too, in one transaction with its ``loaded_files`` row.
    """
    with connection.cursor() as cursor:
        if table.is_compacted:
            values = layout.partition_values(key)
            cursor.execute(
                f"delete from {table.name} where dt = %s and hr = %s", [values["dt"], values["hr"]]
            )
        else:
            cursor.execute(f"delete from {table.name} where {SOURCE_FILE_COLUMN} = %s", [lake.url(key)])
        cursor.execute(
            f"delete from {loader}.loaded_files where table_name = %s and file_key = %s",
            [table.name, key],
        )
    connection.commit()


def _copy_lines(table: RawTable, unit: _Unit, lake: Lake) -> Iterator[bytes]:
    read = _parquet_rows if table.is_compacted else _csv_rows if table.is_csv else _ndjson_rows
    for key in unit.files:
        source = lake.url(key)
        for number, row in enumerate(read(table, key, lake.get_bytes(key), source), start=1):
            try:
                yield _copy_line(row)
            except RawLoadError as exc:
                raise RawLoadError(f"{source}: row {number}: {exc}") from None


def _load_unit(table: RawTable, unit: _Unit, lake: Lake, connection: Any, loader: str, replace: bool) -> int:
    stream = _CopyStream(_copy_lines(table, unit, lake))
    column_list = ", ".join(name for name, _type in table.columns)
    try:
        with connection.cursor() as cursor:
            if replace:  # a compacted hour whose manifest changed: its parts were replaced
                values = layout.partition_values(unit.key)
                cursor.execute(
                    f"delete from {table.name} where dt = %s and hr = %s", [values["dt"], values["hr"]]
                )
            cursor.copy_expert(f"copy {table.name} ({column_list}) from stdin", stream)
            cursor.execute(
                f"insert into {loader}.loaded_files (table_name, file_key, fingerprint, rows)"
                " values (%s, %s, %s, %s)"
                " on conflict (table_name, file_key) do update"
                " set fingerprint = excluded.fingerprint, rows = excluded.rows, loaded_at = now()",
                [table.name, unit.key, unit.fingerprint, stream.rows],
            )
        connection.commit()
    except RawLoadError:  # a bad row, found while COPY was reading: nothing of the file stays
        connection.rollback()
        raise
    except Exception as exc:
        connection.rollback()
        raise RawLoadError(
            f"{lake.url(unit.key)}: COPY into {table.name} failed: {first_line(exc)}"
        ) from None
    return stream.rows
