"""Staging keeps good rows, sends rule-breaking rows to *_rejected, and loses nothing.

Built from dirty sample data; the expected numbers come from the generator's answer key
and from the raw CSVs, not from dbt.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from c360 import pipeline
from c360.settings import Settings
from loaders.generator import generate
from tests.conftest import event_bytes, read_csv

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def dirty_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Path]:
    root = tmp_path_factory.mktemp("dirty-build")
    generate(root / "in", scale=0.05, seed=3, dirty=0.02)
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    (root / "in" / "events_from_the_future.jsonl").write_bytes(
        event_bytes(event_id="from-the-future", occurred_at=future) + b"\n"
    )
    settings = Settings.resolve(
        lake=root / "lake",
        warehouse=root / "c360.duckdb",
        published=root / "published.duckdb",
        target="local",
    )
    pipeline.run(settings, input_dir=root / "in", say=lambda _message: None)
    key = json.loads((root / "in" / "answer_key.json").read_text())
    return root / "in", key, settings.warehouse  # staging views resolve in dbt's own file


def _query(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _reasons(database: Path, entity: str) -> dict[str, int]:
    sql = f"select rejection_reason, count(*) from staging.stg_shop__{entity}_rejected group by 1"
    return dict(_query(database, sql))


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def test_dirty_data_builds_and_every_shop_row_is_accounted_for(
    dirty_build: tuple[Path, dict[str, Any], Path],
) -> None:
    sample, key, database = dirty_build
    injected = key["injected"]

    customers = read_csv(sample / "customers.csv") + read_csv(sample / "customers_update.csv")
    bad_customer = [
        not row["customer_id"] or (row["birth_date"] and not _is_date(row["birth_date"])) for row in customers
    ]
    assert _reasons(database, "customers") == {
        "missing customer_id": injected["customers"]["missing_required"],
        "unparseable birth_date": injected["customers"]["wrong_types"],
    }
    kept_customers = {row["customer_id"] for row, bad in zip(customers, bad_customer, strict=True) if not bad}

    transactions = read_csv(sample / "transactions.csv")
    rejected_lines = [
        row
        for row in transactions
        if not row["transaction_id"]
        or not row["quantity"].lstrip("-").isdigit()
        or row["customer_id"] not in kept_customers
    ]
    reasons = _reasons(database, "transactions")
    assert reasons["missing transaction_id"] == injected["transactions"]["missing_required"]
    assert reasons["unparseable quantity"] == injected["transactions"]["wrong_types"]
    unknown = injected["transactions"]["unknown_references"]
    assert reasons["unknown product"] == unknown - unknown // 2
    assert sum(reasons.values()) == len(rejected_lines) + reasons["unknown product"]

    for entity, rows, ids in (
        (
            "customers",
            customers,
            [r["customer_id"] for r, bad in zip(customers, bad_customer, strict=True) if not bad],
        ),
        ("transactions", transactions, None),
    ):
        [(staged,)] = _query(database, f"select count(*) from staging.stg_shop__{entity}")
        [(rejected,)] = _query(database, f"select count(*) from staging.stg_shop__{entity}_rejected")
        if ids is not None:
            assert staged == len(set(ids))
        duplicates_removed = len(rows) - staged - rejected
        assert duplicates_removed >= injected[entity]["duplicates"]
        assert len(rows) == staged + rejected + duplicates_removed

    [(lines,)] = _query(database, "select count(distinct transaction_id) from staging.stg_shop__transactions")
    [(staged_lines,)] = _query(database, "select count(*) from staging.stg_shop__transactions")
    assert lines == staged_lines, "one row per order line"


def test_an_event_from_the_future_is_rejected_not_staged(
    dirty_build: tuple[Path, dict[str, Any], Path],
) -> None:
    _sample, _key, database = dirty_build
    rejected = _query(database, "select event_id, rejection_reason from staging.stg_web__events_rejected")
    assert rejected == [("from-the-future", "occurred in the future")]
    staged = _query(
        database, "select count(*) from staging.stg_web__events where event_id = 'from-the-future'"
    )
    assert staged == [(0,)]
