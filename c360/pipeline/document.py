"""The run document every pipeline step reads and extends (see ``c360.pipeline.steps``): a
small JSON object with the run's id, its target and one entry per step (name, status,
seconds, output).

Kept free of the loaders, so the app (Pipeline health) reads run documents with the same
helper as the pipeline and its alerts.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from c360.settings import Settings

RUNS_PREFIX = "_runs/"  # where every run document is kept in the lake


def new_run_document(settings: Settings) -> dict[str, Any]:
    started = datetime.now(UTC)
    return {
        "run_id": f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
        "target": settings.target,
        "lake": settings.lake,
        "started_at": started.isoformat(timespec="seconds"),
        "steps": [],
    }


def step_output(document: dict[str, Any], step: str) -> dict[str, Any]:
    """The output of a step in a run document ({} if it did not run or has none)."""
    for entry in document.get("steps", []):
        if entry["name"] == step:
            return entry.get("output") or {}  # type: ignore[no-any-return]
    return {}
