"""What the last build left in the warehouse: rows per layer, rows staging rejected, the
accounts of every source, and the tests that failed with a sample of their rows."""

from __future__ import annotations

import json
from typing import Any

from c360.settings import Settings
from c360.warehouse.access import Query, warehouse_reader
from c360.warehouse.dbt import FAILED_STATUSES, target_dir
from config.errors import first_line

# Warehouse schemas in layer order, as generate_schema_name names them.
LAYERS = ("staging", "intermediate", "core", "analytics", "customer")


def layer_rows(settings: Settings) -> dict[str, dict[str, int]]:
    """Rows of every model of the built warehouse, by layer: the DuckDB file (read-only,
    safe beside a reader) or the server's schemas (with the settings' prefix)."""
    prefix = settings.schema_prefix
    counts: dict[str, dict[str, int]] = {}
    with warehouse_reader(settings) as query:
        if query is None:
            return counts
        listed = ", ".join(f"'{prefix}{layer}'" for layer in LAYERS)
        relations = query(
            "select table_schema, table_name from information_schema.tables"
            f" where table_schema in ({listed}) order by 1, 2"
        )
        for relation in relations:
            schema, name = relation["table_schema"], relation["table_name"]
            [row] = query(f'select count(*) as found from "{schema}"."{name}"')
            counts.setdefault(schema.removeprefix(prefix), {})[name] = int(row["found"])
    return counts


def _has_table(query: Query, schema: str, table: str) -> bool:
    found = query(
        "select count(*) as found from information_schema.tables"
        f" where table_schema = '{schema}' and table_name = '{table}'"
    )
    return bool(found[0]["found"])


REJECTIONS_SQL = (
    "select table_name from information_schema.tables"
    " where table_schema = '{schema}' and table_name like 'no_rejected_rows_%' order by 1"
)
REJECTION_COUNTS_SQL = 'select rejection_reason, rejected_rows from "{schema}"."{table}"'


def rejections(settings: Settings) -> dict[str, dict[str, int]]:
    """Rows staging rejected in the last build, by model and reason (DuckDB and PostgreSQL).

    Read from what the ``no_rejected_rows`` tests stored: one row per reason, with its count.
    """
    counts: dict[str, list[dict[str, Any]]] = {}
    schema = f"{settings.schema_prefix}test_failures"
    with warehouse_reader(settings) as query:
        if query is not None:
            for found in query(REJECTIONS_SQL.format(schema=schema)):
                table = found["table_name"]
                counts[table] = query(REJECTION_COUNTS_SQL.format(schema=schema, table=table))
    return {
        table.removeprefix("no_rejected_rows_").rstrip("_"): {
            str(row["rejection_reason"]): int(row["rejected_rows"]) for row in rows
        }
        for table, rows in counts.items()
        if rows
    }


ACCOUNTS_TEST = "staging_accounts_for_every_row_read"


def source_accounts(settings: Settings) -> dict[str, dict[str, int]]:
    """Per dbt source, the rows staging read, staged, rejected and removed as duplicates,
    each counted on its own, as the last build's accounts test stored them (DuckDB and
    PostgreSQL; the test fails the build when they do not add up)."""
    schema = f"{settings.schema_prefix}test_failures"
    with warehouse_reader(settings) as query:
        if query is None or not _has_table(query, schema, ACCOUNTS_TEST):
            return {}  # no warehouse yet, or the build stopped before the test ran
        rows = query(f'select * from "{schema}".{ACCOUNTS_TEST}')
    names = {
        "read": "rows_read",
        "staged": "rows_staged",
        "rejected": "rows_rejected",
        "duplicates": "duplicates_removed",
    }
    return {
        str(row["source_table"]): {name: int(row[column]) for name, column in names.items()} for row in rows
    }


SAMPLE_ROWS = 3


def failing_tests(settings: Settings, sample_rows: int = SAMPLE_ROWS) -> list[dict[str, Any]]:
    """The tests that failed the last dbt build: name, status, dbt's message, failing rows
    and a sample of them, read back from where the test stored its failures."""
    path = target_dir() / "run_results.json"
    if not path.exists():
        return []
    failed = [
        entry
        for entry in json.loads(path.read_text("utf-8"))["results"]
        if entry["unique_id"].startswith("test.") and entry["status"] in FAILED_STATUSES
    ]
    found = []
    with warehouse_reader(settings) as query:
        for entry in failed:
            sample: list[dict[str, Any]] = []
            if query is not None and entry.get("relation_name") and entry["status"] == "fail":
                sample = query(f"select * from {entry['relation_name']} limit {int(sample_rows)}")
            found.append(
                {
                    "test": entry["unique_id"].split(".")[2],
                    "status": entry["status"],
                    "message": first_line(entry.get("message")),
                    "failing_rows": entry.get("failures"),
                    "sample": sample,
                }
            )
    return found
