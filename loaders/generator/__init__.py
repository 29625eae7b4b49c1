"""Sample data: the four raw entities, realistic enough that every mart has something true to find.

Everything is vectorised with numpy and Arrow; Faker only fills small pools of names,
places and brands once per run. The same ``seed`` gives byte-identical files.

Shape of the data (what the marts and tests rely on):

- purchase frequency is power-law (a few customers place most orders), some never buy;
- orders have weekly (weekend) and yearly (November/December) seasonality and grow over time;
- orders are baskets of several lines; a line's product often comes with a companion
  product of the same category (basket affinity);
- lines are returned or cancelled; about a third of customers churn and stop buying;
- ``customers_update.csv`` is a second export in which some customers moved, changed
  e-mail or consent (dim_customers keeps both versions);
- clickstream sessions of the last 30 days on devices: anonymous browsing that later logs
  in (identity stitching), a few devices shared by two customers, funnels that drop off,
  several channels, UTM sources and countries.

With ``dirty > 0`` bad records are injected at that rate per kind, and ``answer_key.json``
(never landed) records what was injected and the true anonymous_id -> customer_id mapping.

The room: ``shapes`` (the sample's shapes, as data), ``entities`` (customers, products,
order lines), ``clickstream`` (events), ``dirty`` (bad records on request) and
``answer_key`` (what the pipeline must make of them); ``generate`` writes the files.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from loaders.generator import clickstream
from loaders.generator.answer_key import EXPECTED_OUTCOME, expected_outcomes
from loaders.generator.dirty import DIRTY_KINDS, dirty_lines, dirty_table
from loaders.generator.entities import EntityGenerator
from loaders.generator.shapes import DEFAULT_END_DATE, SEED_SCALE, scaled_counts
from loaders.landing.ndjson import gzip_members, ndjson_chunks

__all__ = ["DEFAULT_END_DATE", "SEED_SCALE", "GenerateReport", "generate", "scaled_counts"]


@dataclass
class GenerateReport:
    out_dir: Path
    rows: dict[str, int]
    answer_key: dict[str, Any] | None = field(default=None)


def _csv_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def generate(
    out_dir: Path,
    scale: float = 1.0,
    seed: int = 42,
    dirty: float = 0.0,
    end_date: date = DEFAULT_END_DATE,
) -> GenerateReport:
    """Write customers.csv, customers_update.csv, products.csv, transactions.csv,
    events.jsonl.gz and answer_key.json into ``out_dir``."""
    if not 0.0 <= dirty < 0.1:
        raise ValueError(f"--dirty must be in [0, 0.1), got {dirty}")
    gen = EntityGenerator(scale, seed, end_date)
    customers, customers_update, customer_facts = gen.customers()
    products, product_facts = gen.products()
    transactions, order_facts = gen.transactions(customer_facts, product_facts)
    events, identity = clickstream.events(gen, customer_facts, product_facts, order_facts)
    dirty_rng = np.random.default_rng([seed, 1])
    n_customers, n_products = customers.num_rows, products.num_rows

    injected: dict[str, dict[str, int]] = {}
    rows_written: dict[str, int] = {}
    tables: dict[str, pa.Table] = {}
    rejected_rows: dict[str, np.ndarray] = {}
    for entity, table in (("customers", customers), ("products", products), ("transactions", transactions)):
        line_rows: dict[str, np.ndarray] = {}
        if dirty > 0:
            table, line_rows = dirty_table(dirty_rng, entity, table, dirty, n_customers, n_products)
            tables[entity] = table
            rejected_rows[entity] = np.concatenate(
                [
                    line_rows[kind]
                    for kind, (outcome, _what) in EXPECTED_OUTCOME[entity].items()
                    if outcome == "rejected"
                ]
            )
            duplicates = line_rows["duplicates"]
            table = pa.concat_tables([table, table.take(pa.array(duplicates))])
        injected[entity] = {
            kind: int(line_rows[kind].size) if kind in line_rows else 0 for kind in DIRTY_KINDS
        }
        _write(out_dir / f"{entity}.csv", _csv_bytes(table))
        rows_written[entity] = table.num_rows
    _write(out_dir / "customers_update.csv", _csv_bytes(customers_update))
    rows_written["customers_update"] = customers_update.num_rows

    event_rows: dict[str, np.ndarray] = {}
    if dirty > 0:
        events, event_rows = dirty_table(dirty_rng, "events", events, dirty, n_customers, n_products)
        lines = b"".join(ndjson_chunks(events)).splitlines(keepends=True)
        lines = dirty_lines(lines, event_rows, "event_id")
        step = 131_072
        chunks = [b"".join(lines[i : i + step]) for i in range(0, len(lines), step)]
    else:
        chunks = ndjson_chunks(events)
    injected["events"] = {
        kind: int(event_rows[kind].size) if kind in event_rows else 0 for kind in DIRTY_KINDS
    }
    _write(out_dir / "events.jsonl.gz", gzip_members(chunks))
    rows_written["events"] = events.num_rows + injected["events"]["duplicates"]

    answer_key = {
        "seed": seed,
        "scale": scale,
        "dirty_rate": dirty,
        "end_date": end_date.isoformat(),
        "rows_written": rows_written,
        "injected": injected,
        "late_arrival_note": "late_arriving events are moved to the end of events.jsonl.gz",
        "expected": expected_outcomes(injected, tables, rejected_rows, customers_update) if dirty > 0 else {},
        "identity": identity,
    }
    key_path = out_dir / "answer_key.json"
    key_path.write_text(json.dumps(answer_key, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return GenerateReport(out_dir=out_dir, rows=rows_written, answer_key=answer_key)
