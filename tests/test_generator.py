from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from c360.settings import PROJECT_ROOT
from loaders import generator
from loaders.contracts import contract, violation
from loaders.generator import SEED_SCALE, generate, scaled_counts
from tests.conftest import SCALE, read_csv


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _events(folder: Path) -> list[dict[str, Any]]:
    with gzip.open(folder / "events.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", scale=0.02, seed=3)
    generate(tmp_path / "b", scale=0.02, seed=3)
    generate(tmp_path / "c", scale=0.02, seed=4)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert _digests(tmp_path / "a")["events.jsonl.gz"] != _digests(tmp_path / "c")["events.jsonl.gz"]
    assert _digests(tmp_path / "a")["transactions.csv"] != _digests(tmp_path / "c")["transactions.csv"]


@pytest.mark.parametrize("scale", [0.01, 0.05, 0.2])
def test_counts_follow_the_scale(tmp_path: Path, scale: float) -> None:
    report = generate(tmp_path, scale=scale, seed=1)
    expected = {name: round(count * scale) for name, count in SEED_SCALE.items()}
    assert scaled_counts(scale) == expected
    assert len(read_csv(tmp_path / "customers.csv")) == expected["customers"]
    assert len(read_csv(tmp_path / "products.csv")) == expected["products"]
    assert len(read_csv(tmp_path / "transactions.csv")) == expected["transactions"]
    assert len(_events(tmp_path)) == expected["events"]
    assert report.rows["events"] == expected["events"]


def test_a_large_sample_is_made_in_parts_that_fit_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above PART_SCALE the sample is generated part by part (memory of one part): the
    parts number their customers, orders and lines one after the other, share the products,
    and the files read as one sample, headers once."""
    monkeypatch.setattr(generator, "PART_SCALE", 0.05)
    report = generate(tmp_path, scale=0.2, seed=5)  # four parts
    customers = read_csv(tmp_path / "customers.csv")
    lines = read_csv(tmp_path / "transactions.csv")
    ids = [row["customer_id"] for row in customers]
    assert ids == [f"C{n:06d}" for n in range(1, len(ids) + 1)] and len(ids) == 1_000
    assert len({row["transaction_id"] for row in lines}) == len(lines) == 10_000
    assert {row["customer_id"] for row in lines} <= set(ids)
    assert {row["product_id"] for row in lines} <= {
        row["product_id"] for row in read_csv(tmp_path / "products.csv")
    }
    assert len(read_csv(tmp_path / "products.csv")) == 40
    orders_of = Counter(row["order_id"] for row in lines)
    customer_of = {row["order_id"]: row["customer_id"] for row in lines}
    assert all(customer_of[row["order_id"]] == row["customer_id"] for row in lines) and len(orders_of) > 1_000
    events = _events(tmp_path)
    assert len(events) == report.rows["events"] == 20_000
    assert {e["customer_id"] for e in events if e["customer_id"]} <= set(ids)
    # The first part's customers are what a one-part sample of its size draws; the next
    # part draws others (its own generator), numbered after them.
    generate(tmp_path / "one", scale=0.05, seed=5)
    assert customers[:250] == read_csv(tmp_path / "one" / "customers.csv")
    assert [row["email"] for row in customers[:250]] != [row["email"] for row in customers[250:500]]


def test_seed_scale_is_the_documented_one() -> None:
    assert scaled_counts(1.0) == {
        "customers": 5_000,
        "products": 200,
        "transactions": 50_000,
        "events": 100_000,
    }


@pytest.mark.parametrize("bad", [0, -1.0, float("inf"), float("nan"), 1e9])
def test_scale_must_be_a_positive_finite_number(tmp_path: Path, bad: float) -> None:
    with pytest.raises(ValueError, match="--scale must be a positive number up to 1000"):
        generate(tmp_path, scale=bad)


def test_a_bad_scale_is_one_line_from_the_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from c360.cli import app

    result = CliRunner().invoke(app, ["generate", "--out", str(tmp_path), "--scale", "inf"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: --scale must be a positive number up to 1000, got inf"
    ]


def test_same_seed_gives_the_same_bytes_in_processes_with_different_hash_seeds(tmp_path: Path) -> None:
    """Python randomises str hashes per process; nothing generated may depend on set order."""
    for hash_seed in ("1", "2"):
        code = (
            "import sys; from pathlib import Path; from loaders.generator import generate;"
            " generate(Path(sys.argv[1]), scale=0.02, seed=3, dirty=0.01)"
        )
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / hash_seed)], check=True, env=env, cwd=PROJECT_ROOT
        )
    assert _digests(tmp_path / "1") == _digests(tmp_path / "2")


def test_files_conform_to_their_contracts(sample_dir: Path) -> None:
    for entity in ("customers", "products", "transactions"):
        rows = read_csv(sample_dir / f"{entity}.csv")
        assert list(rows[0]) == contract(entity).columns
        for row in rows:
            record = {k: v for k, v in row.items()}
            assert violation(entity, record) is None, (entity, row)
    events = _events(sample_dir)
    assert all(violation("events", event) is None for event in events)
    customers = {row["customer_id"] for row in read_csv(sample_dir / "customers.csv")}
    products = {row["product_id"] for row in read_csv(sample_dir / "products.csv")}
    transactions = read_csv(sample_dir / "transactions.csv")
    assert {row["customer_id"] for row in transactions} <= customers
    assert {row["product_id"] for row in transactions} <= products
    assert {e["customer_id"] for e in events if e["customer_id"]} <= customers
    assert {e["product_id"] for e in events if e["product_id"]} <= products
    orders = {row["order_id"] for row in transactions}
    assert {e["order_id"] for e in events if e["event_type"] == "purchase"} <= orders


def test_shape_gives_every_mart_something_to_find(sample_dir: Path) -> None:
    lines = read_csv(sample_dir / "transactions.csv")
    orders_by_customer = Counter({row["customer_id"]: 0 for row in lines})
    for _order_id, customer_id in {(r["order_id"], r["customer_id"]) for r in lines}:
        orders_by_customer[customer_id] += 1
    counts = sorted(orders_by_customer.values(), reverse=True)
    top_fifth = counts[: max(1, len(counts) // 5)]
    assert sum(top_fifth) / sum(counts) > 0.45, "purchase frequency should be heavy-tailed"
    lines_per_order = Counter(r["order_id"] for r in lines)
    assert sum(1 for n in lines_per_order.values() if n > 1) / len(lines_per_order) > 0.25
    assert set(Counter(r["status"] for r in lines)) == {"completed", "returned", "cancelled"}
    assert set(Counter(r["channel"] for r in lines)) == {"web", "mobile_app", "store", "marketplace"}
    weekday = Counter(datetime.fromisoformat(r["ordered_at"]).weekday() for r in lines)
    assert weekday[5] + weekday[6] > (weekday[0] + weekday[1]) * 1.1, "weekends should sell more"
    december = sum(1 for r in lines if r["ordered_at"][5:7] == "12")
    february = sum(1 for r in lines if r["ordered_at"][5:7] == "02")
    assert december > february * 1.3, "December should be the peak"
    updates = read_csv(sample_dir / "customers_update.csv")
    first = {r["customer_id"]: r for r in read_csv(sample_dir / "customers.csv")}
    assert updates and all(u["updated_at"] > first[u["customer_id"]]["updated_at"] for u in updates)
    assert all(
        any(u[c] != first[u["customer_id"]][c] for c in ("city", "email", "marketing_opt_in"))
        for u in updates
    )

    events = _events(sample_dir)
    types = Counter(e["event_type"] for e in events)
    assert types["page_view"] > types["add_to_cart"] > types["begin_checkout"] > types["purchase"] > 0
    assert len({e["utm_source"] for e in events}) >= 5
    assert len({e["country_code"] for e in events}) >= 5
    by_device: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_device.setdefault(event["anonymous_id"], []).append(event)
    stitched = [
        d
        for d, evs in by_device.items()
        if any(e["customer_id"] for e in evs) and any(not e["customer_id"] for e in evs)
    ]
    assert stitched, "some devices should browse anonymously and later log in"


def test_answer_key_maps_devices_to_the_customers_who_logged_in(
    sample_dir: Path, answer_key: dict[str, Any]
) -> None:
    mapping = answer_key["identity"]["anonymous_to_customer"]
    assert mapping
    seen: dict[str, set[str]] = {}
    for event in _events(sample_dir):
        if event["customer_id"]:
            seen.setdefault(event["anonymous_id"], set()).add(event["customer_id"])
    for anonymous_id, customer_id in mapping.items():
        assert seen[anonymous_id] == {customer_id}
    for anonymous_id, customers in answer_key["identity"]["shared_devices"].items():
        assert seen.get(anonymous_id, set()) <= set(customers)


def test_dirty_answer_key_matches_what_was_injected(tmp_path: Path) -> None:
    rate = 0.01
    report = generate(tmp_path, scale=SCALE, seed=11, dirty=rate)
    key = json.loads((tmp_path / "answer_key.json").read_text())
    assert key == report.answer_key
    injected = key["injected"]

    # Events: count each kind independently of the generator.
    raw_lines = gzip.decompress((tmp_path / "events.jsonl.gz").read_bytes()).splitlines()
    parsed, malformed = [], 0
    for line in raw_lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            malformed += 1
    expected = round(rate * SEED_SCALE["events"] * SCALE)
    assert injected["events"]["malformed_json"] == malformed == expected
    duplicate_lines = sum(n - 1 for n in Counter(raw_lines).values() if n > 1)
    assert injected["events"]["duplicates"] == duplicate_lines == expected
    assert injected["events"]["missing_required"] == sum(1 for e in parsed if "event_id" not in e) == expected
    assert injected["events"]["wrong_types"] == sum(1 for e in parsed if e.get("occurred_at") == "yesterday")
    known_products = {r["product_id"] for r in read_csv(tmp_path / "products.csv") if r["product_id"]}
    unknown = sum(1 for e in parsed if e.get("product_id") and e["product_id"] not in known_products)
    assert injected["events"]["unknown_references"] == unknown == expected
    times = [e["occurred_at"] for e in parsed if e.get("occurred_at") != "yesterday"]
    tail = times[-injected["events"]["late_arriving"] :]
    assert injected["events"]["late_arriving"] == expected
    assert max(tail) < max(times), "late events arrive after newer ones"

    # Shop CSVs.
    transactions_text = (tmp_path / "transactions.csv").read_text().splitlines()
    assert injected["transactions"]["duplicates"] == sum(
        n - 1 for n in Counter(transactions_text).values() if n > 1
    )
    rows = read_csv(tmp_path / "transactions.csv")
    assert injected["transactions"]["wrong_types"] == sum(1 for r in rows if r["quantity"] == "two")
    assert injected["transactions"]["missing_required"] == len(
        {i for i, r in enumerate(rows) if not r["transaction_id"]}
    )
    customers = {r["customer_id"] for r in read_csv(tmp_path / "customers.csv")}
    unknown_refs = sum(
        1 for r in rows if r["customer_id"] not in customers or r["product_id"] not in known_products
    )
    assert injected["transactions"]["unknown_references"] == unknown_refs
    customer_rows = read_csv(tmp_path / "customers.csv")
    assert (
        injected["customers"]["wrong_types"]
        == sum(1 for r in customer_rows if r["birth_date"] == "not-a-date")
        > 0
    )
    assert (
        injected["customers"]["missing_required"] == sum(1 for r in customer_rows if not r["customer_id"]) > 0
    )


def test_dirty_rate_is_bounded(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--dirty"):
        generate(tmp_path, scale=0.01, dirty=0.5)
