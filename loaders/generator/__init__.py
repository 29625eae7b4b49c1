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
import math
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


PART_SCALE = 10.0  # the largest part generated at once: a sample above it is made in parts


class _Files:
    """The sample's files, written part by part: CSV headers only with the first part,
    events as gzip members appended (any gzip reader reads them as one stream)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self.started: set[str] = set()

    def write(self, name: str, data: bytes) -> None:
        mode = "ab" if name in self.started else "wb"
        self.started.add(name)
        with (self.out_dir / name).open(mode) as handle:
            handle.write(data)

    def write_csv(self, name: str, table: pa.Table) -> None:
        sink = io.BytesIO()
        options = pacsv.WriteOptions(quoting_style="needed", include_header=name not in self.started)
        pacsv.write_csv(table, sink, options)
        self.write(name, sink.getvalue())


def generate(
    out_dir: Path,
    scale: float = 1.0,
    seed: int = 42,
    dirty: float = 0.0,
    end_date: date = DEFAULT_END_DATE,
) -> GenerateReport:
    """Write customers.csv, customers_update.csv, products.csv, transactions.csv,
    events.jsonl.gz and answer_key.json into ``out_dir``.

    A sample above PART_SCALE is generated in equal parts of at most that scale, one after
    the other, each written before the next is made: memory stays that of one part whatever
    the scale. The products are the whole sample's, shared by every part; each part numbers
    its customers, orders and order lines after the previous part's.
    """
    if not 0.0 <= dirty < 0.1:
        raise ValueError(f"--dirty must be in [0, 0.1), got {dirty}")
    totals = scaled_counts(scale)  # refuses a scale that is not a positive finite number
    parts = max(1, math.ceil(scale / PART_SCALE))
    if parts > 1 and dirty > 0:
        raise ValueError(f"--dirty works on samples up to --scale {PART_SCALE:g}, got {scale:g}")
    files = _Files(out_dir)
    first = {"customers": 1, "orders": 1, "transactions": 1}
    shared_products: tuple[pa.Table, dict[str, np.ndarray]] | None = None
    rows_written: dict[str, int] = {}
    injected: dict[str, dict[str, int]] = {}
    expected: dict[str, Any] = {}
    identity: dict[str, dict[str, Any]] = {}
    for part in range(parts):
        gen = EntityGenerator(
            scale / parts, seed, end_date, part=part, first=first, products=totals["products"]
        )
        customers, customers_update, customer_facts = gen.customers()
        if shared_products is None:
            shared_products = gen.products()
            if dirty == 0:  # else written with its bad records (one part only)
                files.write_csv("products.csv", shared_products[0])
                rows_written["products"] = shared_products[0].num_rows
        products, product_facts = shared_products
        transactions, order_facts = gen.transactions(customer_facts, product_facts)
        events, part_identity = clickstream.events(gen, customer_facts, product_facts, order_facts)
        for section, values in part_identity.items():
            identity.setdefault(section, {}).update(values)
        first = {
            "customers": first["customers"] + customers.num_rows,
            "orders": first["orders"] + len(order_facts["order_ids"]),
            "transactions": first["transactions"] + transactions.num_rows,
        }
        tables = {"customers": customers, "products": products, "transactions": transactions}
        written = _write_part(files, tables, customers_update, events, dirty, seed, injected, expected)
        for name, count in written.items():
            rows_written[name] = rows_written.get(name, 0) + count
        del customers, customers_update, transactions, events, customer_facts, order_facts
    answer_key = {
        "seed": seed,
        "scale": scale,
        "dirty_rate": dirty,
        "end_date": end_date.isoformat(),
        "rows_written": dict(sorted(rows_written.items())),
        "injected": injected,
        "late_arrival_note": "late_arriving events are moved to the end of events.jsonl.gz",
        "expected": expected,
        "identity": identity,
    }
    key_path = out_dir / "answer_key.json"
    key_path.write_text(json.dumps(answer_key, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return GenerateReport(out_dir=out_dir, rows=dict(sorted(rows_written.items())), answer_key=answer_key)


def _write_part(
    files: _Files,
    tables: dict[str, pa.Table],
    customers_update: pa.Table,
    events: pa.Table,
    dirty: float,
    seed: int,
    injected: dict[str, dict[str, int]],
    expected: dict[str, Any],
) -> dict[str, int]:
    """Write one part's rows (with bad records injected at rate ``dirty``, one-part samples
    only); the rows written per file. ``injected`` and ``expected`` are filled for the
    answer key."""
    dirty_rng = np.random.default_rng([seed, 1])
    n_customers, n_products = tables["customers"].num_rows, tables["products"].num_rows
    rows_written: dict[str, int] = {}
    dirty_tables: dict[str, pa.Table] = {}
    rejected_rows: dict[str, np.ndarray] = {}
    for entity in ("customers", "products", "transactions"):
        table = tables[entity]
        line_rows: dict[str, np.ndarray] = {}
        if dirty > 0:
            table, line_rows = dirty_table(dirty_rng, entity, table, dirty, n_customers, n_products)
            dirty_tables[entity] = table
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
        if entity != "products" or dirty > 0:  # clean products, shared by every part: written once
            files.write_csv(f"{entity}.csv", table)
            rows_written[entity] = table.num_rows
    files.write_csv("customers_update.csv", customers_update)
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
    files.write("events.jsonl.gz", gzip_members(chunks))
    rows_written["events"] = events.num_rows + injected["events"]["duplicates"]
    if dirty > 0:
        expected.update(expected_outcomes(injected, dirty_tables, rejected_rows, customers_update))
    return rows_written
