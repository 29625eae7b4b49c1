from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from c360.pipeline import runner
from c360.pipeline import steps as pipeline_steps
from c360.pipeline.steps import STEP_NAMES
from c360.settings import Settings
from c360.warehouse.build import generate_docs
from c360.warehouse.dbt import BuildFailedError, run_dbt, target_dir
from tests.conftest import PII_SALT, Built, copy_of_built, read_csv

# Tests that read the session's built warehouse share one worker, so it is built once.
pytestmark = [pytest.mark.dbt, pytest.mark.xdist_group("built")]


def _expected_monthly(sample_dir: Path) -> dict[str, tuple[int, Decimal]]:
    """Orders and net revenue per month, computed from the raw CSV without dbt: a sale in the
    month it was ordered, its return (a returned line's updated_at) in the month it happened."""
    orders: dict[str, set[str]] = defaultdict(set)
    net: dict[str, Decimal] = defaultdict(Decimal)
    for row in read_csv(sample_dir / "transactions.csv"):
        if row["status"] == "cancelled":
            continue
        month = row["ordered_at"][:7] + "-01"
        orders[month].add(row["order_id"])
        amount = int(row["quantity"]) * Decimal(row["unit_price"]) - Decimal(row["discount_amount"])
        net[month] += amount
        if row["status"] == "returned":
            net[row["updated_at"][:7] + "-01"] -= amount
    return {month: (len(orders[month]), net[month]) for month in orders.keys() | net.keys()}


def test_dbt_build_passes_and_monthly_revenue_matches_the_raw_data(built: Built) -> None:
    with duckdb.connect(str(built.settings.published), read_only=True) as connection:
        rows = connection.execute(
            "select cast(month_start as varchar), orders, net_revenue from analytics.monthly_revenue"
        ).fetchall()
    actual = {month: (orders, net) for month, orders, net in rows}
    assert actual == _expected_monthly(built.sample_dir)


def test_run_reports_rows_per_layer_and_seconds_per_step(built: Built) -> None:
    report = built.report
    assert list(report.step_seconds) == list(STEP_NAMES)  # every step, in order
    assert report.freshness == {"pass": 4}, "the four raw tables were landed just now"
    assert report.layer_rows["staging"]["stg_shop__transactions"] == len(
        read_csv(built.sample_dir / "transactions.csv")
    )
    assert report.layer_rows["staging"]["stg_shop__customers"] == len(
        read_csv(built.sample_dir / "customers.csv")
    ) + len(read_csv(built.sample_dir / "customers_update.csv")), "one row per customer version"
    assert report.layer_rows["analytics"]["monthly_revenue"] == len(_expected_monthly(built.sample_dir))
    assert report.published == built.settings.published


def test_the_lake_keeps_the_manifest_of_what_was_published(built: Built) -> None:
    """The state `c360 review` compares a change with: dbt's manifest of the published build,
    beside the published run's document."""
    lake = Path(built.settings.lake)
    kept = list((lake / "_runs_published").glob("local-*.manifest.json"))
    assert len(kept) == 1
    manifest = json.loads(kept[0].read_text("utf-8"))
    assert "model.c360.monthly_revenue" in manifest["nodes"]
    assert manifest["nodes"]["model.c360.monthly_revenue"]["checksum"]["checksum"]


def test_the_latest_customer_version_is_current(built: Built) -> None:
    updates = {r["customer_id"]: r for r in read_csv(built.sample_dir / "customers_update.csv")}
    with duckdb.connect(str(built.settings.published), read_only=True) as connection:
        current = "select customer_id, email_hash from core.dim_customers where is_current"
        hashes = dict(connection.execute(current).fetchall())
        emails = dict(connection.execute("select customer_id, email from customer.customer_360").fetchall())
    salt = os.environ["C360_PII_SALT"]
    assert updates
    for customer_id, row in updates.items():
        email = row["email"].lower()
        assert emails[customer_id] == email
        assert hashes[customer_id] == hashlib.sha256(f"{salt}{email}".encode()).hexdigest()


def test_contact_details_are_hashed_with_the_salt_whatever_it_holds(built: Built) -> None:
    # The session's salt holds a quote, a backslash and a percent sign (tests/conftest.py):
    # the hash is SHA-256 of salt and value on DuckDB, as on PostgreSQL (test_postgres
    # compares every column of every model) and Redshift (sha2).
    with duckdb.connect(str(built.settings.published), read_only=True) as connection:
        rows = connection.execute(
            "select profile.email, dim.email_hash from customer.customer_360 as profile"
            " inner join core.dim_customers as dim on profile.customer_id = dim.customer_id"
            " where dim.is_current and profile.email is not null limit 20"
        ).fetchall()
    assert rows
    for email, email_hash in rows:
        assert email_hash == hashlib.sha256(f"{PII_SALT}{email}".encode()).hexdigest()


def test_a_failed_build_keeps_the_last_good_copy(built: Built, tmp_path: Path) -> None:
    # An export whose rows all lack updated_at: more than 5 % of the customer rows read are
    # rejected, an error-severity test fails, and nothing is published.
    settings = copy_of_built(built, tmp_path)
    before = settings.published.read_bytes()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    header = (built.sample_dir / "customers.csv").read_text().split("\n", 1)[0]
    rows = [f"C9{n:05d},Ann,Lee,ann{n}@example.com,,,,,,,US,2025-01-01T00:00:00Z,true," for n in range(40)]
    (inbox / "customers_broken.csv").write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(BuildFailedError, match="rejected_share_below_stg_shop__customers_rejected") as error:
        runner.run(settings, input_dir=inbox, say=lambda _m: None)
    assert "published copy was left as it was" in str(error.value)
    assert settings.published.read_bytes() == before
    # The run document says where it failed and shows the failing rows; an alert is raised.
    lake = Path(settings.lake)
    [alert_file] = list((lake / "_alerts").glob("*.json"))
    alert = json.loads(alert_file.read_text())
    assert alert["failed_step"] == "gate" and alert["published_copy"].startswith("unchanged")
    [failing] = [
        t for t in alert["failing_tests"] if t["test"].startswith("rejected_share_below_stg_shop__customers")
    ]
    assert failing["status"] == "fail" and failing["failing_rows"] >= 1
    document = json.loads((lake / "_runs" / alert_file.name).read_text())
    assert document["status"] == "failed" and document["run_id"] == alert["run_id"]
    build = next(step for step in document["steps"] if step["name"] == "build")
    [stored] = [t for t in build["output"]["failures"] if t["test"] == failing["test"]]
    assert stored["sample"], "a sample of the stored failing rows"
    # dbt's build failed, so the fit had nothing to fit on and said so; the gate stopped the run.
    assert [(step["name"], step["status"]) for step in document["steps"]][-4:-1] == [
        ("build", "ok"),
        ("fit", "skipped"),
        ("gate", "failed"),
    ]
    assert document["steps"][-1]["name"] == "report"
    fit = next(step for step in document["steps"] if step["name"] == "fit")
    assert fit["output"]["skipped"] == "dbt did not build the models it would fit on"


def test_a_row_that_breaks_a_rule_is_rejected_and_the_build_publishes(built: Built, tmp_path: Path) -> None:
    settings = copy_of_built(built, tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    header = (built.sample_dir / "customers.csv").read_text().split("\n", 1)[0]
    no_id = ",Ann,Lee,ann@example.com,,,,,,,US,2025-01-01T00:00:00Z,true,2025-01-01T00:00:00Z"
    (inbox / "customers_broken.csv").write_text(header + "\n" + no_id + "\n")
    report = runner.run(settings, input_dir=inbox, say=lambda _m: None)
    assert report.layer_rows["staging"]["stg_shop__customers_rejected"] == 1
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        [(reason, source_file)] = connection.execute(
            "select rejection_reason, _source_file from staging.stg_shop__customers_rejected"
        ).fetchall()
    assert reason == "missing customer_id" and "customers_" in source_file


def test_an_export_with_windows_line_endings_is_read_in_full(built: Built, tmp_path: Path) -> None:
    settings = copy_of_built(built, tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    header = (built.sample_dir / "customers.csv").read_text().split("\n", 1)[0]
    rows = [
        f"C9{n:05d},Ann,Lee,ann{n}@example.com,,1990-01-01,female,Rome,RM,00100,IT,"
        "2025-01-01T00:00:00Z,true,2025-01-01T00:00:00Z"
        for n in range(3)
    ]
    (inbox / "customers_windows.csv").write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode())
    runner.run(settings, input_dir=inbox, say=lambda _m: None)
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        found = connection.execute(
            "select customer_id, updated_at from staging.stg_shop__customers where customer_id like 'C9%'"
        ).fetchall()
    assert sorted(customer for customer, _at in found) == [f"C9{n:05d}" for n in range(3)]
    assert all(at is not None for _customer, at in found), "no stray carriage return in the last column"


def test_run_on_an_empty_lake_generates_sample_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_steps, "SAMPLE_SCALE", 0.02)
    messages: list[str] = []
    settings = Settings.resolve(
        lake=tmp_path / "lake",
        warehouse=tmp_path / "wh" / "c360.duckdb",
        published=tmp_path / "wh" / "pub.duckdb",
    )
    report = runner.run(
        settings,
        dbt_args=["--select", "+stg_shop__transactions", "--indirect-selection", "cautious"],
        say=messages.append,
    )
    assert report.generated_sample and "empty" in messages[0]
    assert report.layer_rows["staging"]["stg_shop__transactions"] == 1_000
    assert "stg_web__events" not in report.layer_rows["staging"], "--select reached dbt"


def test_the_docs_site_opens_offline_on_the_overview_and_every_built_column_is_documented(
    built: Built,
) -> None:
    page = generate_docs(built.settings)
    html = page.read_text("utf-8")
    # One file with the project inside (no server), opening on the overview, which names
    # every mart; nothing it needs is fetched from the network.
    assert "c360: one view of every customer" in html
    assert all(f"`{mart}`" in html for mart in ("customer_360", "product_performance", "monthly_revenue"))
    assert not re.search(r"(src|href)=\"https?://(?!\[::1\]|localhost)", html)
    target = target_dir()
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    # Every public mart names its owner (its group's) and says how to use it; the site
    # lists the semantic layer's metrics with their definitions.
    public = [node for node in manifest["nodes"].values() if node.get("access") == "public"]
    assert len(public) >= 20
    groups = {group["name"]: group for group in manifest["groups"].values()}
    for node in public:
        owner = groups[node["group"]]["owner"]
        assert owner["name"] and "@" in owner["email"], node["name"]
        assert "**How to use.** One row is" in node["description"], node["name"]
    metrics = {metric["name"]: metric for metric in manifest["metrics"].values()}
    assert {
        "net_revenue",
        "gross_revenue",
        "returned_revenue",
        "orders",
        "customers",
        "new_customers",
        "average_order_value",
        "session_conversion_rate",
    } <= set(metrics)
    assert all(metric["description"] for metric in metrics.values())
    assert "session_conversion_rate" in html and "How to use." in html
    missing = []
    for unique_id, node in catalog["nodes"].items():
        if unique_id.startswith("test."):  # stored test failures, not models
            continue
        documented = manifest["nodes"][unique_id]["columns"]
        missing += [
            f"{node['metadata']['name']}.{column}"
            for column in node["columns"]
            if not documented.get(column.lower(), {}).get("description")
        ]
    assert missing == []


def test_the_analyst_questions_run_on_the_marts(built: Built) -> None:
    assert run_dbt(built.settings, ["compile", "--select", "resource_type:analysis"]).ok
    manifest = json.loads((target_dir() / "manifest.json").read_text())
    questions = {
        node["name"]: node["compiled_code"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "analysis" and "/questions/" in node["original_file_path"]
    }
    assert len(questions) == 5
    answers = {}
    with duckdb.connect(str(built.settings.warehouse), read_only=True) as connection:
        for name, sql in questions.items():
            answers[name] = connection.execute(sql).fetchall()
        segmented = connection.execute("select count(*) from analytics.rfm_segments").fetchone()
    # Every customer is in one segment, and the shares add up.
    by_segment = answers["02_revenue_by_rfm_segment"]
    assert sum(row[1] for row in by_segment) == segmented[0]
    assert abs(sum(row[3] for row in by_segment) - 100) < 0.5
    assert answers["03_third_month_retention_by_cohort"], "the sample spans more than three months"
    assert all(0 <= row[3] <= 1 for row in answers["03_third_month_retention_by_cohort"])
    assert answers["04_campaign_sources_that_convert"]
