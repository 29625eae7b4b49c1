"""Redshift Spectrum DDL over the lake: external schemas, tables and their partitions.

Production reads the raw lake through Spectrum, under the same source names dbt uses on
DuckDB (``raw_shop.customers``, ``raw_web.events``, ...). Everything here derives from the
contracts and the lake:

- columns, in contract order, from ``loaders/contracts/*.schema.json``;
- types: text files (shop CSVs, raw event JSON) are read as ``varchar``, because values
  arrive as text and staging casts them, so a malformed value reaches ``*_rejected``
  instead of failing the scan; compacted Parquet is typed from the contract (``date-time``
  -> timestamp, ``date`` -> date, ``x-sql-type``);
- partitions: ``ALTER TABLE ... ADD IF NOT EXISTS PARTITION`` for every partition present
  in the lake (a compacted hour only once its manifest commits it), 100 per statement.

The SQL is plain text: ``c360 spectrum`` prints it, ``--apply`` runs it on Redshift.
"""

from __future__ import annotations

from dataclasses import dataclass

from loaders import lake as lake_keys
from loaders.compaction import LINEAGE_STRINGS, LINEAGE_TIMESTAMPS, MANIFEST
from loaders.contracts import ENTITIES, contract
from loaders.lake import Lake

TEXT = "varchar(65535)"
PARTITIONS_PER_STATEMENT = 100
CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"


@dataclass(frozen=True)
class ExternalTable:
    schema: str
    name: str
    columns: list[tuple[str, str]]
    partition_columns: list[tuple[str, str]]
    storage: str  # the ROW FORMAT / STORED AS / properties clauses, without LOCATION
    prefix: str  # lake key prefix the table covers

    def partition_prefixes(self, lake: Lake) -> list[str]:
        """The partition folders present in the lake, as key prefixes."""
        depth = len(self.partition_columns)
        folders = set()
        for key in lake.list_keys(self.prefix):
            segments = key[len(self.prefix) :].split("/")
            if len(segments) > depth and all("=" in segment for segment in segments[:depth]):
                if self.name.endswith("_compacted") and segments[depth] != MANIFEST:
                    continue  # only committed compacted hours are registered
                folders.add(self.prefix + "/".join(segments[:depth]) + "/")
        return sorted(folders)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def compacted_type(spec: dict[str, object]) -> str:
    if isinstance(spec.get("x-sql-type"), str):
        return str(spec["x-sql-type"])
    return {"date-time": "timestamp", "date": "date"}.get(str(spec.get("format")), TEXT)


def external_tables() -> list[ExternalTable]:
    tables = []
    for entity in ENTITIES:
        entity_contract = contract(entity)
        text_columns = [(column, TEXT) for column in entity_contract.columns]
        if entity_contract.file_format == "csv":
            tables.append(
                ExternalTable(
                    schema=f"raw_{entity_contract.source}",
                    name=entity,
                    columns=text_columns,
                    partition_columns=[("ingest_date", "date")],
                    storage=(
                        f"row format serde {_quote(CSV_SERDE)}\n"
                        "with serdeproperties ('separatorChar' = ',', 'quoteChar' = '\"')\n"
                        "stored as textfile"
                    ),
                    prefix=lake_keys.shop_prefix(entity),
                )
            )
            continue
        lineage = [(name, TEXT) for name in (*LINEAGE_STRINGS, *LINEAGE_TIMESTAMPS)]
        tables.append(
            ExternalTable(
                schema=f"raw_{entity_contract.source}",
                name=entity,
                columns=text_columns + lineage,
                partition_columns=[("dt", "date"), ("hr", "varchar(2)")],
                storage=f"row format serde {_quote(JSON_SERDE)}\nstored as textfile",
                prefix=f"{lake_keys.RAW_EVENTS}/",
            )
        )
        typed = [(name, compacted_type(spec)) for name, spec in entity_contract.schema["properties"].items()]
        typed += [(name, TEXT) for name in LINEAGE_STRINGS]
        typed += [(name, "timestamp") for name in LINEAGE_TIMESTAMPS]
        typed.append(("_source_file", TEXT))
        tables.append(
            ExternalTable(
                schema=f"raw_{entity_contract.source}",
                name=f"{entity}_compacted",
                columns=typed,
                partition_columns=[("dt", "date"), ("hr", "varchar(2)")],
                storage="stored as parquet",
                prefix=f"{lake_keys.COMPACTED_EVENTS}/",
            )
        )
    return tables


def _create_schema(schema: str, iam_role: str, database_prefix: str) -> str:
    role = "default" if iam_role == "default" else _quote(iam_role)
    return (
        f"create external schema if not exists {schema}\n"
        f"from data catalog\n"
        f"database {_quote(database_prefix + schema)}\n"
        f"iam_role {role}\n"
        "create external database if not exists;"
    )


def _create_table(table: ExternalTable, lake: Lake) -> str:
    columns = ",\n".join(f"    {name} {sql_type}" for name, sql_type in table.columns)
    partitions = ", ".join(f"{name} {sql_type}" for name, sql_type in table.partition_columns)
    is_csv = CSV_SERDE in table.storage
    properties = "\ntable properties ('skip.header.line.count' = '1')" if is_csv else ""
    return (
        f"create external table {table.schema}.{table.name} (\n{columns}\n)\n"
        f"partitioned by ({partitions})\n"
        f"{table.storage}\n"
        f"location {_quote(lake.url(table.prefix))}{properties};"
    )


def _add_partitions(table: ExternalTable, lake: Lake) -> list[str]:
    statements = []
    prefixes = table.partition_prefixes(lake)
    for start in range(0, len(prefixes), PARTITIONS_PER_STATEMENT):
        clauses = []
        for prefix in prefixes[start : start + PARTITIONS_PER_STATEMENT]:
            values = lake_keys.partition_values(prefix + "x")
            spec = ", ".join(f"{name} = {_quote(values[name])}" for name, _type in table.partition_columns)
            clauses.append(f"partition ({spec}) location {_quote(lake.url(prefix))}")
        header = f"alter table {table.schema}.{table.name} add if not exists"
        statements.append(header + "\n" + "\n".join(clauses) + ";")
    return statements


def statements(lake: Lake, iam_role: str = "default", database_prefix: str = "c360_") -> list[str]:
    """Every statement, in order: schemas, tables, then partitions found in the lake.

    Spectrum has no ``create external table if not exists`` that tolerates a changed
    definition, so tables are dropped and recreated; this touches only catalog metadata,
    never the data in S3.
    """
    if not lake.uri.startswith("s3://"):
        raise ValueError(f"{lake.uri}: Spectrum reads S3; point --lake at s3://bucket/prefix")
    tables = external_tables()
    schemas = sorted({table.schema for table in tables})
    result = [_create_schema(schema, iam_role, database_prefix) for schema in schemas]
    for table in tables:
        result.append(f"drop table if exists {table.schema}.{table.name};")
        result.append(_create_table(table, lake))
    for table in tables:
        result.extend(_add_partitions(table, lake))
    return result
