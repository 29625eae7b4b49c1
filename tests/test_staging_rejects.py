"""Staging rules in proportion to the harm, checked against the generator's answer key.

Built from dirty sample data: staging must reject exactly the unusable rows (by reason),
keep rows whose optional attribute was unusable (nulled and flagged), keep order lines of
unknown customers and products on inferred members, and account for every row read. The
expected numbers come from the answer key and the raw files, not from dbt.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from c360.pipeline import runner
from c360.settings import Settings
from c360.warehouse.readers import rejections
from loaders.generator import generate
from loaders.lake.storage import open_lake
from tests.conftest import event_bytes, lake_rows

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def dirty_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Settings]:
    root = tmp_path_factory.mktemp("dirty-build")
    generate(root / "in", scale=0.05, seed=3, dirty=0.01)
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
    messages: list[str] = []
    runner.run(settings, input_dir=root / "in", say=messages.append)
    (root / "messages.txt").write_text("\n".join(messages))
    key = json.loads((root / "in" / "answer_key.json").read_text())
    return root / "in", key, settings  # staging views resolve in dbt's own file


def _query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _counted(rows: list[tuple[Any, ...]]) -> dict[str, int]:
    return {str(key): int(count) for key, count in rows if count}


@pytest.mark.parametrize(
    ("entity", "model"),
    [
        ("customers", "stg_shop__customers"),
        ("products", "stg_shop__products"),
        ("transactions", "stg_shop__transactions"),
    ],
)
def test_staging_rejects_exactly_the_unusable_rows_and_flags_the_rest(
    dirty_build: tuple[Path, dict[str, Any], Settings], entity: str, model: str
) -> None:
    _sample, key, settings = dirty_build
    expected = key["expected"][entity]
    rejected = _query(settings, f"select rejection_reason, count(*) from staging.{model}_rejected group by 1")
    assert _counted(rejected) == {reason: n for reason, n in expected["rejected"].items() if n}
    flagged = _query(settings, f"select data_quality_issues, count(*) from staging.{model} group by 1")
    assert _counted([(k, n) for k, n in flagged if k is not None]) == {
        attribute: n for attribute, n in expected["flagged"].items() if n
    }


def test_lines_of_unknown_customers_and_products_are_kept_on_inferred_members(
    dirty_build: tuple[Path, dict[str, Any], Settings],
) -> None:
    _sample, key, settings = dirty_build
    expected = key["expected"]["transactions"]
    inferred = _query(
        settings,
        "select count(*) filter (where customers.is_inferred), count(*) filter (where products.is_inferred)"
        " from core.fct_order_lines as lines"
        " join core.dim_customers as customers using (customer_sk)"
        " join core.dim_products as products using (product_sk)",
    )
    assert inferred == [(expected["lines_with_inferred_customer"], expected["lines_with_inferred_product"])]
    assert expected["lines_with_inferred_customer"] > 0 and expected["lines_with_inferred_product"] > 0


def _raw_csv_rows(sample: Path, *names: str) -> int:
    total = 0
    for name in names:
        with (sample / name).open(newline="", encoding="utf-8") as handle:
            total += sum(1 for _row in csv.reader(handle)) - 1
    return total


def test_every_row_read_is_staged_rejected_or_a_duplicate_each_counted_on_its_own(
    dirty_build: tuple[Path, dict[str, Any], Settings],
) -> None:
    """Rows read are counted on the raw files, duplicates from the answer key: neither by dbt."""
    sample, key, settings = dirty_build
    files = {
        "customers": ("stg_shop__customers", ("customers.csv", "customers_update.csv")),
        "products": ("stg_shop__products", ("products.csv",)),
        "transactions": ("stg_shop__transactions", ("transactions.csv",)),
    }
    for entity, (model, names) in files.items():
        read = _raw_csv_rows(sample, *names)
        [(staged,)] = _query(settings, f"select count(*) from staging.{model}")
        [(rejected,)] = _query(settings, f"select count(*) from staging.{model}_rejected")
        assert read == staged + rejected + key["injected"][entity]["duplicates"], entity

    # Events: every line the loader accepted is in raw; staging keeps one row per event_id.
    raw_events = len(lake_rows(open_lake(settings.lake), "raw/web/events/"))
    [(staged,)] = _query(settings, "select count(*) from staging.stg_web__events")
    [(rejected,)] = _query(settings, "select count(*) from staging.stg_web__events_rejected")
    assert raw_events == staged + rejected + key["injected"]["events"]["duplicates"]


def test_the_build_warns_with_rejections_by_reason_and_passed_the_accounting_test(
    dirty_build: tuple[Path, dict[str, Any], Settings],
) -> None:
    _sample, key, settings = dirty_build
    expected = {reason: n for reason, n in key["expected"]["transactions"]["rejected"].items() if n}
    assert rejections(settings)["stg_shop__transactions_rejected"] == expected
    listed = ", ".join(f"{reason} {count:,}" for reason, count in sorted(expected.items()))
    messages = (settings.warehouse.parent / "messages.txt").read_text().splitlines()
    line = f"warning: stg_shop__transactions_rejected: {sum(expected.values()):,} rows rejected ({listed})"
    assert line in messages


def test_an_event_from_the_future_is_rejected_and_bad_records_were_quarantined(
    dirty_build: tuple[Path, dict[str, Any], Settings],
) -> None:
    _sample, key, settings = dirty_build
    rejected = _query(settings, "select event_id, rejection_reason from staging.stg_web__events_rejected")
    assert rejected == [("from-the-future", "occurred_at after the event reached Kinesis")]
    staged = _query(
        settings, "select count(*) from staging.stg_web__events where event_id = 'from-the-future'"
    )
    assert staged == [(0,)]
    reasons: dict[str, int] = {}
    for entry in lake_rows(open_lake(settings.lake), "quarantine/web/events/"):
        kind = entry["reason"].split(":", 1)[0]
        reasons[kind] = reasons.get(kind, 0) + 1
    assert reasons == key["expected"]["events"]["quarantined"]
    flagged = _query(
        settings, "select count(*) from staging.stg_web__events where data_quality_issues = 'device_type'"
    )
    assert flagged == [(key["expected"]["events"]["flagged"]["device_type"],)]
