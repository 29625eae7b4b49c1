"""Dirty data on request: bad records of each kind, injected at a rate, in places that do
not overlap, so the answer key can say exactly what the pipeline must make of each."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.contracts import contract

DIRTY_KINDS = (
    "duplicates",
    "malformed_json",
    "wrong_types",
    "unknown_references",
    "late_arriving",
    "missing_required",
    "off_vocabulary",
    "non_integer",
)
# Which injected kinds make sense for which entity (a CSV line cannot be malformed JSON).
DIRTY_KINDS_BY_ENTITY = {
    "customers": ("duplicates", "wrong_types", "missing_required", "off_vocabulary"),
    "products": ("duplicates", "wrong_types", "missing_required"),
    "transactions": (
        "duplicates",
        "wrong_types",
        "unknown_references",
        "missing_required",
        "off_vocabulary",
        "non_integer",
    ),
    "events": tuple(kind for kind in DIRTY_KINDS if kind != "non_integer"),  # quantities are CSV-only
}

_WRONG_TYPE = {  # column, bad value: a value of the wrong type for the contract
    "customers": ("birth_date", "not-a-date"),
    "products": ("unit_price", "n/a"),
    "transactions": ("quantity", "two"),
    "events": ("occurred_at", "yesterday"),
}
_OFF_VOCABULARY = {  # column, a value outside its vocabulary that no synonym maps
    "customers": ("gender", "Unknown"),
    "transactions": ("channel", "Phone order"),
    "events": ("device_type", "smart-tv"),
}
_NON_INTEGER = ("quantity", "1.5")


def _pick_disjoint(
    rng: np.random.Generator, n_rows: int, kinds: tuple[str, ...], rate: float
) -> dict[str, np.ndarray]:
    per_kind = min(round(rate * n_rows), n_rows // max(len(kinds), 1))
    chosen = rng.choice(n_rows, size=per_kind * len(kinds), replace=False)
    return {kind: np.sort(chosen[i * per_kind : (i + 1) * per_kind]) for i, kind in enumerate(kinds)}


def _set_values(table: pa.Table, column: str, rows: np.ndarray, value: Any) -> pa.Table:
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    values = pa.array(value) if isinstance(value, (list, np.ndarray)) else pa.scalar(value, pa.string())
    if isinstance(values, pa.Array):
        full = np.full(table.num_rows, None, dtype=object)
        full[rows] = value
        values = pa.array(full, pa.string())
    index = table.schema.get_field_index(column)
    return table.set_column(index, column, pc.if_else(pa.array(mask), values, table[column]))


def dirty_table(
    rng: np.random.Generator, entity: str, table: pa.Table, rate: float, n_customers: int, n_products: int
) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """Apply the value-level kinds; the line-level kinds are returned for the writer."""
    rows = _pick_disjoint(rng, table.num_rows, DIRTY_KINDS_BY_ENTITY[entity], rate)
    column, bad = _WRONG_TYPE[entity]
    table = _set_values(table, column, rows["wrong_types"], bad)
    table = _set_values(table, contract(entity).primary_key, rows["missing_required"], None)
    if "off_vocabulary" in rows:
        column, bad = _OFF_VOCABULARY[entity]
        table = _set_values(table, column, rows["off_vocabulary"], bad)
    if "non_integer" in rows:
        column, bad = _NON_INTEGER
        table = _set_values(table, column, rows["non_integer"], bad)
    if "unknown_references" in rows:
        unknown = rows["unknown_references"]
        if entity == "transactions":
            half = unknown.size // 2
            table = _set_values(
                table, "customer_id", unknown[:half], [f"C{n_customers + 1 + i:06d}" for i in range(half)]
            )
            table = _set_values(
                table,
                "product_id",
                unknown[half:],
                [f"P{n_products + 1 + i:05d}" for i in range(unknown.size - half)],
            )
        else:
            table = _set_values(
                table, "product_id", unknown, [f"P{n_products + 1 + i:05d}" for i in range(unknown.size)]
            )
    return table, rows


def dirty_lines(lines: list[bytes], rows: dict[str, np.ndarray], primary_key: str) -> list[bytes]:
    """Line-level kinds: drop the key of missing rows, break JSON, duplicate, arrive late."""
    missing = f'"{primary_key}":null,'.encode()
    for row in rows.get("missing_required", ()):
        lines[row] = lines[row].replace(missing, b"", 1)
    for row in rows.get("malformed_json", ()):
        lines[row] = lines[row][: len(lines[row]) // 2] + b"\n"
    late = set(rows.get("late_arriving", np.empty(0, int)).tolist())
    duplicated = set(rows.get("duplicates", np.empty(0, int)).tolist())
    out: list[bytes] = []
    for index, line in enumerate(lines):
        if index in late:
            continue
        out.append(line)
        if index in duplicated:
            out.append(line)
    out.extend(lines[row] for row in sorted(late))
    return out
