"""SCD2 history is derived from the lake: the same however the exports were landed, and after a rebuild.

Also: a fact never waits for its dimension row (inferred members), and the point-in-time
join picks the version valid when the fact happened.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
import pytest

from c360.settings import Settings
from c360.warehouse.dbt import run_dbt
from loaders.lake.storage import open_lake
from loaders.landing.batch_upload import land
from tests.conftest import read_csv

pytestmark = pytest.mark.dbt

DIMENSION = "select * exclude (customer_sk) from core.dim_customers order by customer_id, version_number"


def _settings(root: Path, name: str = "c360") -> Settings:
    return Settings.resolve(lake=root / "lake", warehouse=root / f"{name}.duckdb", target="local")


def _build(settings: Settings, select: str = "+dim_customers") -> None:
    assert run_dbt(settings, ["build", "--select", select, "--indirect-selection", "cautious"]).ok


def _query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_history_is_the_same_however_exports_were_landed_and_after_a_rebuild(
    sample_dir: Path, tmp_path: Path
) -> None:
    together = _settings(tmp_path / "together")
    land([sample_dir / "customers.csv", sample_dir / "customers_update.csv"], open_lake(together.lake))
    _build(together)

    one_by_one = _settings(tmp_path / "one-by-one")
    land(sample_dir / "customers.csv", open_lake(one_by_one.lake))
    _build(one_by_one)
    land(sample_dir / "customers_update.csv", open_lake(one_by_one.lake))
    _build(one_by_one)

    rebuilt = _settings(tmp_path / "one-by-one", name="rebuilt")  # same lake, new warehouse
    _build(rebuilt)

    history = _query(together, DIMENSION)
    assert _query(one_by_one, DIMENSION) == history
    assert _query(rebuilt, DIMENSION) == history
    changed = {row["customer_id"] for row in read_csv(sample_dir / "customers_update.csv")}
    versioned = {customer for customer, versions in _query(together, "select customer_id, count(*)"
                 " from core.dim_customers group by 1") if versions == 2}  # fmt: skip
    assert versioned == changed, "every customer the second export changed has two versions"


def test_a_version_identical_to_the_one_before_it_is_folded_into_it(sample_dir: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    land(sample_dir / "customers.csv", open_lake(settings.lake))
    first = read_csv(sample_dir / "customers.csv")[:3]
    resent = [{**row, "updated_at": "2026-06-01T00:00:00Z"} for row in first]
    land(_write_csv(tmp_path / "customers_resent.csv", resent), open_lake(settings.lake))
    _build(settings)
    ids = tuple(row["customer_id"] for row in first)
    versions = _query(settings, f"select count(*) from core.dim_customers where customer_id in {ids}")
    assert versions == [(3,)], "a re-export that changes nothing adds no version"


def test_order_lines_join_the_customer_version_valid_when_they_were_ordered(
    sample_dir: Path, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    lake = open_lake(settings.lake)
    land([sample_dir / name for name in ("customers.csv", "products.csv", "transactions.csv")], lake)

    # A later export changes the busiest customer in the middle of their order history.
    lines_by_customer: dict[str, list[str]] = {}
    for line in read_csv(sample_dir / "transactions.csv"):
        lines_by_customer.setdefault(line["customer_id"], []).append(line["ordered_at"])
    customer, ordered = max(lines_by_customer.items(), key=lambda item: len(item[1]))
    change_at = sorted(ordered)[len(ordered) // 2]
    row = next(r for r in read_csv(sample_dir / "customers.csv") if r["customer_id"] == customer)
    old_city = row["city"]
    land(
        _write_csv(
            tmp_path / "customers_update.csv", [{**row, "city": "Elsewhere", "updated_at": change_at}]
        ),
        lake,
    )
    _build(settings, "+fct_order_lines")

    versions = _versions(settings, customer, change_at)
    before, after = versions
    assert before[:3] == (True, 1, old_city)
    assert after[:3] == (False, 2, "Elsewhere")
    assert before[3] + after[3] == len(ordered)


def _versions(settings: Settings, customer: str, change_at: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        return connection.execute(
            "select lines.ordered_at < cast(? as timestamp), customers.version_number, customers.city,"
            " count(*) from core.fct_order_lines as lines"
            " join core.dim_customers as customers using (customer_sk)"
            " where lines.customer_id = ? group by all order by 1 desc",
            [change_at.replace("T", " ").rstrip("Z"), customer],
        ).fetchall()


def test_a_line_for_an_unknown_customer_attaches_to_an_inferred_member_then_to_the_real_one(
    sample_dir: Path, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    lake = open_lake(settings.lake)
    customers = read_csv(sample_dir / "customers.csv")
    lines = read_csv(sample_dir / "transactions.csv")
    late_lines = [{**line, "customer_id": "C-LATE-1"} for line in lines[:4]]
    # Signed up before those lines were ordered (staging rejects a later sign-up).
    signed_up = min(line["ordered_at"] for line in late_lines)
    newcomer = {**customers[0], "customer_id": "C-LATE-1", "city": "Lateville", "signup_at": signed_up}
    land([sample_dir / "customers.csv", sample_dir / "products.csv",
          _write_csv(tmp_path / "transactions.csv", late_lines)], lake)  # fmt: skip
    _build(settings, "+fct_order_lines")
    line_members = "select count(*), min(customers.is_inferred), min(customers.city)" \
        " from core.fct_order_lines as lines join core.dim_customers as customers using (customer_sk)" \
        " where lines.customer_id = 'C-LATE-1'"  # fmt: skip
    assert _query(settings, line_members) == [(4, True, None)], "kept, on an inferred member"

    land(_write_csv(tmp_path / "customers_late.csv", [newcomer]), lake)
    _build(settings, "+fct_order_lines")
    assert _query(settings, line_members) == [(4, False, "Lateville")], (
        "the real row lands: attributes attach"
    )
    assert _query(settings, "select count(*) from core.dim_customers where is_inferred") == [(0,)]
