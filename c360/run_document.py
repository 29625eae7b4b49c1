"""The run document every pipeline step reads and extends (see ``c360.steps``).

Kept free of the loaders, so the app (Pipeline health) reads run documents with the same
helper as the pipeline and its alerts.
"""

from __future__ import annotations

from typing import Any


def step_output(document: dict[str, Any], step: str) -> dict[str, Any]:
    """The output of a step in a run document ({} if it did not run or has none)."""
    for entry in document.get("steps", []):
        if entry["name"] == step:
            return entry.get("output") or {}  # type: ignore[no-any-return]
    return {}
