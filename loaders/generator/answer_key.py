"""The answer key's expectations: what the pipeline must make of every injected record."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from loaders.contracts import contract

# What the pipeline must do with each injected kind, per entity (see the staging base_*
# models and loaders.events_writer): reject the row with this reason, keep it with this
# attribute nulled and flagged, quarantine it at the loader, or keep it on an inferred
# dimension member. Unlisted kinds are kept (duplicates are removed, late events staged).
EXPECTED_OUTCOME: dict[str, dict[str, tuple[str, str]]] = {
    "customers": {
        "wrong_types": ("flagged", "birth_date"),
        "missing_required": ("rejected", "missing customer_id"),
        "off_vocabulary": ("flagged", "gender"),
    },
    "products": {
        "wrong_types": ("rejected", "missing or unparseable unit_price"),
        "missing_required": ("rejected", "missing product_id"),
    },
    "transactions": {
        "wrong_types": ("rejected", "unparseable quantity"),
        "missing_required": ("rejected", "missing transaction_id"),
        "non_integer": ("rejected", "quantity is not a whole number"),
        "off_vocabulary": ("flagged", "channel"),
    },
    "events": {
        "malformed_json": ("quarantined", "malformed JSON"),
        "wrong_types": ("quarantined", "contract"),
        "missing_required": ("quarantined", "contract"),
        "off_vocabulary": ("flagged", "device_type"),
    },
}


def expected_outcomes(
    injected: dict[str, dict[str, int]],
    tables: dict[str, pa.Table],
    rejected_rows: dict[str, np.ndarray],
    customers_update: pa.Table,
) -> dict[str, Any]:
    """What the pipeline must make of the injected records: per entity, rows rejected by
    reason, attributes flagged, records quarantined by reason, and order lines that must
    attach to an inferred customer or product (their row is fine, the dimension row is not
    there: never landed, or rejected)."""
    expected: dict[str, Any] = {}
    for entity, outcomes in EXPECTED_OUTCOME.items():
        summary: dict[str, dict[str, int]] = {"rejected": {}, "flagged": {}, "quarantined": {}}
        for kind, (outcome, what) in outcomes.items():
            summary[outcome][what] = summary[outcome].get(what, 0) + injected[entity][kind]
        expected[entity] = summary

    def usable_ids(entity: str, extra: pa.Table | None = None) -> set[str]:
        table = tables[entity]
        keep = np.ones(table.num_rows, dtype=bool)
        keep[rejected_rows[entity]] = False
        ids = {
            value for value in table[contract(entity).primary_key].filter(pa.array(keep)).to_pylist() if value
        }
        if extra is not None:
            ids |= set(extra[contract(entity).primary_key].to_pylist())
        return ids

    lines = tables["transactions"]
    kept = np.ones(lines.num_rows, dtype=bool)
    kept[rejected_rows["transactions"]] = False
    kept_lines = lines.filter(pa.array(kept))
    customers, products = usable_ids("customers", customers_update), usable_ids("products")
    expected["transactions"]["lines_with_inferred_customer"] = sum(
        1 for value in kept_lines["customer_id"].to_pylist() if value not in customers
    )
    expected["transactions"]["lines_with_inferred_product"] = sum(
        1 for value in kept_lines["product_id"].to_pylist() if value not in products
    )
    return expected
