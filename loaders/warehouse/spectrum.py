"""Redshift Spectrum over the lake: external schemas and tables, their partitions, and the
committed compacted parts.

Production reads the raw lake through Spectrum, under the same source names dbt uses on
DuckDB (``raw_shop.customers``, ``raw_web.events``, ...). Everything here derives from the
contracts and the lake:

- columns, in contract order, from ``loaders/contracts/*.schema.json``;
- types: text files (shop CSVs, raw event JSON) are read as ``varchar``, because values
  arrive as text and staging casts them, so a malformed value reaches ``*_rejected``
  instead of failing the scan; compacted Parquet is typed from the contract (``date-time``
  -> timestamp, ``date`` -> date, ``x-sql-type``);
- partitions: one per ``ingest_date`` folder of an export, and per ``dt``/``hr`` folder of
  events (a compacted hour only once its manifest commits it).

``register`` is what every run does on Redshift (the ``load_raw`` step): it creates what is
missing, never drops anything, and adds only the partitions the catalog does not have yet
(``add if not exists``), so an hour landed since the last run is read by the next build.
Spectrum reads every Parquet file of a partition folder, while an hour is being compacted
again old and new parts are both there: ``register`` also writes the parts each committed
manifest lists to ``c360_loader.compacted_parts``, and dbt staging reads only the rows
whose ``"$path"`` is one of them (``redshift__c360_committed_compacted_events``), as DuckDB
reads only the parts a manifest lists. And it keeps ``c360_loader.raw_files``, one row per
raw file, which the landed models compare with what they have read: a build asks Spectrum
for the new files' partitions only (``redshift__c360_unread_files_predicate``).

External DDL cannot run inside a transaction (Redshift's CREATE EXTERNAL TABLE and ALTER
TABLE pages): ``register`` runs each statement on its own, on an autocommit connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loaders.contracts import ENTITIES, LINEAGE_STRINGS, LINEAGE_TIMESTAMPS, contract
from loaders.lake import layout
from loaders.lake.storage import Lake

TEXT = "varchar(65535)"
PARTITIONS_PER_STATEMENT = 100
PARTS_PER_INSERT = 500
CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
LOADER_SCHEMA = "c360_loader"
COMPACTED_PARTS = "compacted_parts"
RAW_FILES = "raw_files"
RAW_SUFFIXES = (".csv", ".json.gz")


class SpectrumError(RuntimeError):
    """The external tables on the cluster are not what the contracts describe."""


@dataclass(frozen=True)
class ExternalTable:
    schema: str
    name: str
    columns: list[tuple[str, str]]
    partition_columns: list[tuple[str, str]]
    storage: str  # the ROW FORMAT / STORED AS / properties clauses, without LOCATION
    prefix: str  # lake key prefix the table covers

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def is_compacted(self) -> bool:
        return self.name.endswith("_compacted")

    def partition_prefixes(self, lake: Lake, keys: list[str] | None = None) -> list[str]:
        """The partition folders present in the lake (or in ``keys``, a listing of the
        table's prefix), as key prefixes."""
        depth = len(self.partition_columns)
        folders = set()
        for key in lake.list_keys(self.prefix) if keys is None else keys:
            segments = key[len(self.prefix) :].split("/")
            if len(segments) > depth and all("=" in segment for segment in segments[:depth]):
                if self.is_compacted and segments[depth] != layout.MANIFEST:
                    continue  # only committed compacted hours are registered
                folders.add(self.prefix + "/".join(segments[:depth]) + "/")
        return sorted(folders)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def compacted_type(spec: dict[str, object]) -> str:
    if isinstance(spec.get("x-sql-type"), str):
        return str(spec["x-sql-type"])
    return {"date-time": "timestamp", "date": "date"}.get(str(spec.get("format")), TEXT)


def external_tables(schema_prefix: str = "") -> list[ExternalTable]:
    """The raw tables, in schemas ``<schema_prefix>raw_<source>``."""
    tables = []
    for entity in ENTITIES:
        entity_contract = contract(entity)
        schema = f"{schema_prefix}raw_{entity_contract.source}"
        text_columns = [(column, TEXT) for column in entity_contract.columns]
        if entity_contract.file_format == "csv":
            tables.append(
                ExternalTable(
                    schema=schema,
                    name=entity,
                    columns=text_columns,
                    partition_columns=[("ingest_date", "date")],
                    # wholeFile: a quoted field may hold a line break (the CREATE EXTERNAL
                    # TABLE page, OpenCSVSerde), as DuckDB's reader allows.
                    storage=(
                        f"row format serde {_quote(CSV_SERDE)}\n"
                        "with serdeproperties ('separatorChar' = ',', 'quoteChar' = '\"',"
                        " 'wholeFile' = 'true')\n"
                        "stored as textfile"
                    ),
                    prefix=layout.shop_prefix(entity),
                )
            )
            continue
        lineage = [(name, TEXT) for name in (*LINEAGE_STRINGS, *LINEAGE_TIMESTAMPS)]
        tables.append(
            ExternalTable(
                schema=schema,
                name=entity,
                columns=text_columns + lineage,
                partition_columns=[("dt", "date"), ("hr", "varchar(2)")],
                storage=f"row format serde {_quote(JSON_SERDE)}\nstored as textfile",
                prefix=f"{layout.RAW_EVENTS}/",
            )
        )
        typed = [(name, compacted_type(spec)) for name, spec in entity_contract.schema["properties"].items()]
        typed += [(name, TEXT) for name in LINEAGE_STRINGS]
        typed += [(name, "timestamp") for name in LINEAGE_TIMESTAMPS]
        typed.append(("_source_file", TEXT))
        tables.append(
            ExternalTable(
                schema=schema,
                name=f"{entity}_compacted",
                columns=typed,
                partition_columns=[("dt", "date"), ("hr", "varchar(2)")],
                storage="stored as parquet",
                prefix=f"{layout.COMPACTED_EVENTS}/",
            )
        )
    return tables


# --- statements ------------------------------------------------------------------------------


def create_schema(schema: str, iam_role: str, database_prefix: str) -> str:
    role = "default" if iam_role == "default" else _quote(iam_role)
    return (
        f"create external schema if not exists {schema}\n"
        f"from data catalog\n"
        f"database {_quote(database_prefix + schema)}\n"
        f"iam_role {role}\n"
        "create external database if not exists;"
    )


def create_table(table: ExternalTable, lake: Lake) -> str:
    columns = ",\n".join(f"    {name} {sql_type}" for name, sql_type in table.columns)
    partitions = ", ".join(f"{name} {sql_type}" for name, sql_type in table.partition_columns)
    is_csv = CSV_SERDE in table.storage
    properties = "\ntable properties ('skip.header.line.count' = '1')" if is_csv else ""
    return (
        f"create external table {table.qualified} (\n{columns}\n)\n"
        f"partitioned by ({partitions})\n"
        f"{table.storage}\n"
        f"location {_quote(lake.url(table.prefix))}{properties};"
    )


def add_partitions(table: ExternalTable, lake: Lake, prefixes: list[str]) -> list[str]:
    """``alter table ... add if not exists partition ...`` for the partition folders, 100 a statement."""
    statements = []
    for start in range(0, len(prefixes), PARTITIONS_PER_STATEMENT):
        clauses = []
        for prefix in prefixes[start : start + PARTITIONS_PER_STATEMENT]:
            values = layout.partition_values(prefix + "x")
            spec = ", ".join(f"{name} = {_quote(values[name])}" for name, _type in table.partition_columns)
            clauses.append(f"partition ({spec}) location {_quote(lake.url(prefix))}")
        header = f"alter table {table.qualified} add if not exists"
        statements.append(header + "\n" + "\n".join(clauses) + ";")
    return statements


def statements(
    lake: Lake, iam_role: str = "default", database_prefix: str = "c360_", schema_prefix: str = ""
) -> list[str]:
    """The whole DDL for a cluster that has none of it yet: schemas, tables, then every
    partition in the lake (what ``c360 spectrum`` prints)."""
    _require_s3(lake)
    tables = external_tables(schema_prefix)
    schemas = sorted({table.schema for table in tables})
    result = [create_schema(schema, iam_role, database_prefix) for schema in schemas]
    result += [create_table(table, lake) for table in tables]
    for table in tables:
        result.extend(add_partitions(table, lake, table.partition_prefixes(lake)))
    return result


def _require_s3(lake: Lake) -> None:
    if not lake.uri.startswith("s3://"):
        raise ValueError(f"{lake.uri}: Spectrum reads S3; point --lake at s3://bucket/prefix")


# --- registering on a cluster -------------------------------------------------------------


@dataclass
class Registered:
    """What ``register`` did: schemas and tables created, partitions added, committed parts."""

    schemas_created: list[str] = field(default_factory=list)
    tables_created: list[str] = field(default_factory=list)
    tables_recreated: list[str] = field(default_factory=list)
    partitions_added: dict[str, int] = field(default_factory=dict)
    compacted_parts: int = 0
    raw_files_added: int = 0
    raw_files_removed: int = 0
    statements: int = 0


def _rows(connection: Any, sql: str) -> list[tuple[Any, ...]]:
    cursor = connection.cursor()
    cursor.execute(sql)
    return list(cursor.fetchall())


def _in_list(names: list[str]) -> str:
    return ", ".join(_quote(name) for name in names)


def register(
    lake: Lake,
    connection: Any,
    schema_prefix: str = "",
    iam_role: str = "default",
    database_prefix: str = "c360_",
    recreate: bool = False,
    say: Callable[[str], None] = lambda _message: None,
) -> Registered:
    """Make Spectrum read what is in the lake now, on an autocommit DB-API connection.

    Creates the external schemas and tables that are missing, adds the partitions that
    the catalog (``svv_external_partitions``) does not list yet, and replaces the list of
    committed compacted parts. A table whose columns differ from the contract's stops
    here with the difference, unless ``recreate`` (``c360 spectrum --apply --recreate``):
    then it is dropped and created again, and every partition registered again (catalog
    metadata only; nothing in S3 changes).
    """
    _require_s3(lake)
    done = Registered()
    tables = external_tables(schema_prefix)
    schemas = sorted({table.schema for table in tables})

    def run(statement: str) -> None:
        connection.cursor().execute(statement)
        done.statements += 1

    known_schemas = {
        row[0]
        for row in _rows(
            connection,
            f"select schemaname from svv_external_schemas where schemaname in ({_in_list(schemas)})",
        )
    }
    for schema in schemas:
        if schema not in known_schemas:
            run(create_schema(schema, iam_role, database_prefix))
            done.schemas_created.append(schema)
    columns: dict[str, list[tuple[str, str]]] = {}
    for schema, table_name, column, external_type, _number in sorted(
        _rows(
            connection,
            "select schemaname, tablename, columnname, external_type, columnnum from svv_external_columns"
            f" where schemaname in ({_in_list(schemas)}) and part_key = 0"
            " order by schemaname, tablename, columnnum",
        ),
        key=lambda row: (row[0], row[1], int(row[4] or 0)),
    ):
        columns.setdefault(f"{schema}.{table_name}", []).append((column, external_type))
    recreated = set()
    for table in tables:
        wanted = [name for name, _type in table.columns]
        found = columns.get(table.qualified)
        if found is not None and [name for name, _type in found] != wanted:
            if not recreate:
                raise SpectrumError(
                    f"{table.qualified} on the cluster has columns {', '.join(n for n, _t in found)}; the"
                    f" contract has {', '.join(wanted)}: run `c360 spectrum --apply --recreate` to"
                    " create it again (catalog metadata only; the lake is not touched)"
                )
            run(f"drop table {table.qualified};")
            recreated.add(table.qualified)
            done.tables_recreated.append(table.qualified)
            found = None
        if found is None:
            run(create_table(table, lake))
            if table.qualified not in recreated:
                done.tables_created.append(table.qualified)
    registered: dict[str, set[str]] = {}
    for schema, table_name, location in _rows(
        connection,
        f"select schemaname, tablename, location from svv_external_partitions"
        f" where schemaname in ({_in_list(schemas)})",
    ):
        registered.setdefault(f"{schema}.{table_name}", set()).add(str(location).rstrip("/"))
    raw_files: dict[str, list[str]] = {}
    for table in tables:
        keys = lake.list_keys(table.prefix)
        if not table.is_compacted:
            raw_files[table.qualified] = [lake.url(key) for key in keys if key.endswith(RAW_SUFFIXES)]
        known = set() if table.qualified in recreated else registered.get(table.qualified, set())
        new = [p for p in table.partition_prefixes(lake, keys) if lake.url(p).rstrip("/") not in known]
        for statement in add_partitions(table, lake, new):
            run(statement)
        done.partitions_added[table.qualified] = len(new)
        if new:
            say(f"{table.qualified}: {len(new)} new partition(s) registered")
    done.compacted_parts, compacted_inputs = _write_compacted_parts(lake, run, schema_prefix)
    # A raw file whose rows a committed compaction keeps is in the lake, even if its raw
    # copy is gone: the landed model reads it from the Parquet.
    events = next(table.qualified for table in tables if table.name == "events")
    raw_files[events] = sorted({*raw_files.get(events, []), *compacted_inputs})
    done.raw_files_added, done.raw_files_removed = _write_raw_files(connection, run, schema_prefix, raw_files)
    return done


def _write_raw_files(
    connection: Any, run: Callable[[str], None], schema_prefix: str, files: dict[str, list[str]]
) -> tuple[int, int]:
    """Bring ``c360_loader.raw_files`` (one row per raw file: its table and S3 URL) to the
    lake's listing, in one transaction: the landed models read from it which files are new
    (and in which partitions) without asking Spectrum to scan anything. Returns the rows
    added and removed."""
    schema = f"{schema_prefix}{LOADER_SCHEMA}"
    table = f"{schema}.{RAW_FILES}"
    run(f"create schema if not exists {schema};")
    run(f"create table if not exists {table} (table_name varchar(256) not null, url varchar(1024) not null);")
    listed = {
        (str(name), str(url)) for name, url in _rows(connection, f"select table_name, url from {table}")
    }
    present = {(name, url) for name, urls in files.items() for url in urls}
    added = sorted(present - listed)
    removed = sorted(listed - present)
    if not added and not removed:
        return 0, 0
    run("begin;")
    for start in range(0, len(removed), PARTS_PER_INSERT):
        chunk = removed[start : start + PARTS_PER_INSERT]
        run(f"delete from {table} where url in ({_in_list([url for _name, url in chunk])});")
    for start in range(0, len(added), PARTS_PER_INSERT):
        values = ",\n".join(
            f"({_quote(name)}, {_quote(url)})" for name, url in added[start : start + PARTS_PER_INSERT]
        )
        run(f"insert into {table} (table_name, url) values\n{values};")
    run("commit;")
    return len(added), len(removed)


def _write_compacted_parts(
    lake: Lake, run: Callable[[str], None], schema_prefix: str
) -> tuple[int, list[str]]:
    """Replace ``c360_loader.compacted_parts`` with the parts every committed manifest lists,
    in one transaction, so a build reads the old list or the new one, never half of one.
    Returns the parts written and the URLs of the raw files the manifests cover."""
    schema = f"{schema_prefix}{LOADER_SCHEMA}"
    table = f"{schema}.{COMPACTED_PARTS}"
    rows = []
    inputs: list[str] = []
    for key in lake.list_keys(f"{layout.COMPACTED_EVENTS}/"):
        if key.endswith("/" + layout.MANIFEST):
            values = layout.partition_values(key)
            manifest = json.loads(lake.get_bytes(key))
            inputs += [lake.url(raw) for raw in manifest.get("inputs", [])]
            for part in manifest["parts"]:
                rows.append(f"({_quote(values['dt'])}, {_quote(values['hr'])}, {_quote(lake.url(part))})")
    run(f"create schema if not exists {schema};")
    run(
        f"create table if not exists {table} ("
        "dt varchar(10) not null, hr varchar(2) not null, part varchar(1024) not null);"
    )
    run("begin;")
    run(f"delete from {table};")
    for start in range(0, len(rows), PARTS_PER_INSERT):
        run(
            f"insert into {table} (dt, hr, part) values\n"
            + ",\n".join(rows[start : start + PARTS_PER_INSERT])
            + ";"
        )
    run("commit;")
    return len(rows), inputs
