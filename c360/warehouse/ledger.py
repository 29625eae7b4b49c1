"""The run ledger: the ``ops`` tables of the warehouse, rebuilt from the run documents."""

from __future__ import annotations

import json
from typing import Any

from c360.settings import Settings
from c360.warehouse.access import replace_tables

LEDGER_COLUMNS = {  # table -> (column, type), in order
    "run_ledger": (
        ("run_id", "text"),
        ("target", "text"),
        ("status", "text"),
        ("started_at", "text"),
        ("finished_at", "text"),
        ("seconds", "double precision"),
        ("failed_step", "text"),
        ("document", "json"),
    ),
    "landed_files": (
        ("run_id", "text"),
        ("file", "text"),
        ("entity", "text"),
        ("status", "text"),
        ("lake_file", "text"),
        ("rows_received", "bigint"),
        ("rows_quarantined", "bigint"),
    ),
}
# A run document is a few kilobytes of JSON: fewer of them to a statement.
LEDGER_ROWS_PER_INSERT = 100


def ledger_rows(documents: list[dict[str, Any]]) -> dict[str, list[tuple[Any, ...]]]:
    """The run ledger as rows: one per run, and one per file a run landed (lineage)."""
    runs, files = [], []
    for document in documents:
        steps = document.get("steps", [])
        failed = next((step["name"] for step in steps if step.get("status") == "failed"), None)
        runs.append(
            (
                document.get("run_id"),
                document.get("target"),
                document.get("status"),
                document.get("started_at"),
                document.get("finished_at"),
                round(sum(step.get("seconds", 0) for step in steps), 2),
                failed,
                json.dumps(document, default=str),
            )
        )
        land: dict[str, Any] = next((step.get("output", {}) for step in steps if step["name"] == "land"), {})
        for landed in land.get("landed_files", []):
            columns = [name for name, _type in LEDGER_COLUMNS["landed_files"][1:]]
            files.append((document.get("run_id"), *(landed.get(column) for column in columns)))
    return {"run_ledger": runs, "landed_files": files}


def write_ledger(settings: Settings, documents: list[dict[str, Any]]) -> None:
    """Replace the warehouse's ``ops`` tables with the ledger of every run in the lake.

    Rebuilt from the run documents each time, so a new warehouse has the whole history.
    """
    rows = ledger_rows(documents)
    replace_tables(
        settings,
        f"{settings.schema_prefix}ops",
        {table: (columns, rows[table]) for table, columns in LEDGER_COLUMNS.items()},
        rows_per_insert=LEDGER_ROWS_PER_INSERT,
    )
