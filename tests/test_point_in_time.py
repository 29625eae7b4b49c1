"""Numbers a marketer can act on: one implausible record costs its own row and moves nobody,
a build as of a past day is the marts of that day, and a closed month never changes.

Each test builds with the real pipeline on DuckDB (the PostgreSQL side of the implausible
records is in test_postgres.py, which compares every model of both engines).
"""

from __future__ import annotations

import csv
import gzip
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from c360.pipeline import runner
from c360.settings import Settings
from c360.warehouse.readers import rejections
from loaders.generator import generate
from tests.conftest import (
    IMPLAUSIBLE_REJECTIONS,
    Built,
    copy_of_built,
    duckdb_tables,
    read_csv,
    write_implausible_records,
)

pytestmark = pytest.mark.dbt
MART_SCHEMAS = ("analytics", "customer")


def _marts(published: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every mart's rows, sorted, without the lineage columns (`_`-prefixed: when and from
    which file a row was landed, which differ between two lakes holding the same data)."""
    marts = {}
    for name, (columns, rows) in duckdb_tables(published, MART_SCHEMAS).items():
        kept = [i for i, column in enumerate(columns) if not column.startswith("_")]
        marts[name] = sorted((tuple(row[i] for i in kept) for row in rows), key=repr)
    assert len(marts) == 12, sorted(marts)  # ten analytics marts, the CLV models, customer_360
    return marts


def _differing(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [name for name in sorted(before.keys() | after.keys()) if before.get(name) != after.get(name)]


def _one(path: Path, sql: str, *params: Any) -> Any:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchone()


# --- one implausible record costs one row ---------------------------------------------------


@pytest.mark.xdist_group("built")
def test_implausible_dates_are_rejected_with_their_reasons_and_move_no_mart(
    built: Built, tmp_path: Path
) -> None:
    """A line dated 2099, one dated 1900, a customer signing up after their first order and
    an event dated next year: each is one rejected row, the run publishes, and every mart
    (every customer's numbers, and "today") is what it was."""
    settings = copy_of_built(built, tmp_path)
    before = _marts(settings.published)
    customer_id = write_implausible_records(built.sample_dir, tmp_path / "typos")
    messages: list[str] = []
    report = runner.run(settings, input_dir=tmp_path / "typos", say=messages.append)
    assert report.published, messages
    rejected = rejections(settings)
    assert {model: rejected.get(model) for model in IMPLAUSIBLE_REJECTIONS} == IMPLAUSIBLE_REJECTIONS
    assert any("stg_shop__transactions_rejected: 2 rows rejected" in message for message in messages)
    assert _differing(before, _marts(settings.published)) == []
    (orders,) = _one(
        settings.published, "select orders from customer.customer_360 where customer_id = ?", customer_id
    )
    assert orders > 0, "the customer of the copied line keeps their real orders"


# --- point in time --------------------------------------------------------------------------

AS_OF = date(2025, 12, 20)


def _known_by(text: str, end: datetime) -> bool:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None) < end


def _lake_cut_at(sample: Path, out: Path, day: date) -> dict[str, int]:
    """The sample as its exports would have been at the end of ``day``: lines ordered by
    then, with the status they had (a line returned later was still completed); customer
    and product versions updated by then; events that had happened. Returns what it cut."""
    end = datetime.combine(day + timedelta(days=1), datetime.min.time())
    out.mkdir()
    cut = {"lines_dropped": 0, "returns_undone": 0, "versions_dropped": 0, "events_dropped": 0}
    for name in ("customers.csv", "customers_update.csv", "products.csv", "transactions.csv"):
        rows = read_csv(sample / name)
        kept = []
        for row in rows:
            if name == "transactions.csv":
                if not _known_by(row["ordered_at"], end):
                    cut["lines_dropped"] += 1
                    continue
                if row["status"] == "returned" and not _known_by(row["updated_at"], end):
                    row = {**row, "status": "completed", "updated_at": row["ordered_at"]}
                    cut["returns_undone"] += 1
            elif not _known_by(row["updated_at"], end):
                cut["versions_dropped"] += 1
                continue
            kept.append(row)
        with (out / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, list(rows[0]), quoting=csv.QUOTE_ALL)
            writer.writeheader()
            writer.writerows(kept)
    with gzip.open(sample / "events.jsonl.gz", "rt", encoding="utf-8") as source:
        events = source.read().splitlines()
    happened = [line for line in events if _known_by(json.loads(line)["occurred_at"], end)]
    cut["events_dropped"] = len(events) - len(happened)
    with gzip.open(out / "events.jsonl.gz", "wt", encoding="utf-8") as target:
        target.write("\n".join(happened) + "\n")
    return cut


def _settings(root: Path) -> Settings:
    return Settings.resolve(
        lake=root / "lake",
        warehouse=root / "warehouse" / "c360.duckdb",
        published=root / "warehouse" / "published.duckdb",
        target="local",
    )


@pytest.mark.xdist_group("point_in_time")
def test_a_build_as_of_a_past_day_is_the_build_of_what_was_known_that_day(tmp_path: Path) -> None:
    """Every mart built from the whole lake as of D equals every mart built from the lake
    cut at D: orders, returns, events, sessions, sign-ups and versions after D do not exist
    for it, and recency and tenure are never negative."""
    sample = tmp_path / "sample"
    generate(sample, scale=0.02, seed=13)
    cut = _lake_cut_at(sample, tmp_path / "cut", AS_OF)
    assert all(cut.values()), f"the day must cut every kind of fact: {cut}"
    as_of = ["--vars", json.dumps({"as_of_date": AS_OF.isoformat()})]
    whole, known = _settings(tmp_path / "whole"), _settings(tmp_path / "known")
    assert runner.run(whole, input_dir=sample, dbt_args=as_of, say=lambda _m: None).published
    assert runner.run(known, input_dir=tmp_path / "cut", dbt_args=as_of, say=lambda _m: None).published
    built_as_of = _marts(whole.published)
    assert _differing(built_as_of, _marts(known.published)) == []
    recency, tenure, today = _one(
        whole.published,
        "select min(recency_days), min(tenure_days), max(as_of_date) from analytics.customer_lifetime_value",
    )
    assert recency >= 0 and tenure >= 0 and today == AS_OF
    (overdue,) = _one(whole.published, "select min(days_since_last_purchase) from analytics.churn_risk")
    assert overdue >= 0


# --- returns when they happen -----------------------------------------------------------------


@pytest.mark.xdist_group("built")
def test_a_later_return_leaves_a_closed_month_as_it_was_and_is_booked_when_it_happens(
    built: Built, tmp_path: Path
) -> None:
    settings = copy_of_built(built, tmp_path)
    transaction_id, month, amount, customer_id = _one(
        settings.published,
        "select transaction_id, date_trunc('month', order_date), line_amount, customer_id"
        " from core.fct_order_lines where status = 'completed' and order_date"
        "   < (select max(month_start) - interval 3 month from analytics.monthly_revenue)"
        " order by order_date desc, transaction_id limit 1",
    )
    month_sql = "select * from analytics.monthly_revenue where month_start = ?"
    closed_before = _one(settings.published, month_sql, month)
    (clv_before,) = _one(
        settings.published,
        "select historical_clv from analytics.customer_lifetime_value where customer_id = ?",
        customer_id,
    )
    line = next(
        row
        for row in read_csv(built.sample_dir / "transactions.csv")
        if row["transaction_id"] == transaction_id
    )
    later = tmp_path / "later"
    later.mkdir()
    with (later / "transactions_returns.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(line), quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerow({**line, "status": "returned", "updated_at": "2026-02-10T09:30:00Z"})
    assert runner.run(settings, input_dir=later, say=lambda _m: None).published

    assert _one(settings.published, month_sql, month) == closed_before
    returned_in = _one(
        settings.published,
        "select returned_revenue, is_partial from analytics.monthly_revenue"
        " where month_start = date '2026-02-01'",
    )
    assert returned_in == (amount, True), "the return, and only it, is booked in February 2026"
    (clv_after,) = _one(
        settings.published,
        "select historical_clv from analytics.customer_lifetime_value where customer_id = ?",
        customer_id,
    )
    assert clv_after == clv_before - amount, "per-customer numbers are net of returns booked by today"
