"""SCD2 snapshots: a later customer export adds versions; ranges chain and one is current."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from c360.dbt_runner import run_dbt
from c360.settings import Settings
from loaders.batch_upload import land
from loaders.lake import open_lake
from tests.conftest import read_csv

pytestmark = pytest.mark.dbt


def test_a_later_export_adds_a_version_per_changed_customer(sample_dir: Path, tmp_path: Path) -> None:
    settings = Settings.resolve(lake=tmp_path / "lake", warehouse=tmp_path / "c360.duckdb", target="local")
    lake = open_lake(settings.lake)
    select = ["build", "--select", "+snapshot_shop__customers"]

    land(sample_dir / "customers.csv", lake)
    assert run_dbt(settings, select).ok
    land(sample_dir / "customers_update.csv", lake)
    assert run_dbt(settings, select).ok  # the build runs scd2_valid_ranges on the snapshot

    first = {row["customer_id"] for row in read_csv(sample_dir / "customers.csv")}
    changed = {row["customer_id"] for row in read_csv(sample_dir / "customers_update.csv")}
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        versions = connection.execute(
            "select customer_id, count(*), count(*) filter (where dbt_valid_to is null)"
            " from snapshots.snapshot_shop__customers group by 1"
        ).fetchall()
        chained = connection.execute(
            "select count(*) from snapshots.snapshot_shop__customers as old"
            " join snapshots.snapshot_shop__customers as new"
            " on old.customer_id = new.customer_id and old.dbt_valid_to = new.dbt_valid_from"
        ).fetchone()
    assert {customer for customer, _n, _current in versions} == first
    assert {customer for customer, n, _current in versions if n == 2} == changed
    assert all(current == 1 for _customer, _n, current in versions)
    assert chained == (len(changed),)


def test_order_lines_join_the_customer_version_valid_when_they_were_ordered(
    sample_dir: Path, tmp_path: Path
) -> None:
    settings = Settings.resolve(lake=tmp_path / "lake", warehouse=tmp_path / "c360.duckdb", target="local")
    lake = open_lake(settings.lake)
    select = ["build", "--select", "+fct_order_lines", "--indirect-selection", "cautious"]
    for name in ("customers.csv", "products.csv", "transactions.csv"):
        land(sample_dir / name, lake)
    assert run_dbt(settings, select).ok

    # A later export changes the busiest customer in the middle of their order history.
    lines_by_customer: dict[str, list[str]] = {}
    for line in read_csv(sample_dir / "transactions.csv"):
        lines_by_customer.setdefault(line["customer_id"], []).append(line["ordered_at"])
    customer, ordered = max(lines_by_customer.items(), key=lambda item: len(item[1]))
    change_at = sorted(ordered)[len(ordered) // 2]
    row = next(r for r in read_csv(sample_dir / "customers.csv") if r["customer_id"] == customer)
    row.update(email="moved@example.com", city="Elsewhere", updated_at=change_at)
    update = tmp_path / "customers_update.csv"
    with update.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    land(update, lake)
    assert run_dbt(settings, select).ok

    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        versions = connection.execute(
            "select lines.ordered_at < cast(? as timestamp), customers.version_number, customers.city,"
            " count(*) from core.fct_order_lines as lines"
            " join core.dim_customers as customers using (customer_sk)"
            " where lines.customer_id = ? group by all order by 1 desc",
            [change_at.replace("T", " ").rstrip("Z"), customer],
        ).fetchall()
    before, after = versions
    assert before[:3] == (
        True,
        1,
        next(r for r in read_csv(sample_dir / "customers.csv") if r["customer_id"] == customer)["city"],
    )
    assert after[:3] == (False, 2, "Elsewhere")
    assert before[3] + after[3] == len(ordered)
