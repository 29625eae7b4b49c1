"""The pipeline as named steps: a no-op run, one step at a time, alerts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest
from typer.testing import CliRunner

from c360.cli import app
from c360.pipeline import alerts
from c360.pipeline import runner as pipeline_runner
from c360.pipeline.runner import select_steps
from c360.pipeline.steps import STEP_NAMES
from c360.settings import PROJECT_ROOT, Settings
from c360.warehouse.build import build
from c360.warehouse.dbt import BuildFailedError, target_dir
from loaders.generator import generate
from loaders.lake.storage import open_lake
from tests.conftest import Built, copy_of_built, event_bytes

runner = CliRunner()


@pytest.mark.dbt
@pytest.mark.xdist_group("built")
def test_a_run_with_nothing_new_does_no_work_and_publishes_nothing(built: Built, tmp_path: Path) -> None:
    settings = copy_of_built(built, tmp_path)
    first = pipeline_runner.run(settings, say=lambda _m: None)  # a new warehouse: it builds
    assert first.document["status"] == "published"
    published = settings.published.stat().st_mtime_ns

    said: list[str] = []
    second = pipeline_runner.run(settings, say=said.append)
    assert second.document["status"] == "nothing new"
    assert any(f"Nothing new since run {first.document['run_id']}" in line for line in said)
    statuses = {step["name"]: step["status"] for step in second.document["steps"]}
    assert statuses["build"] == statuses["fit"] == statuses["gate"] == statuses["publish"] == "skipped"
    assert settings.published.stat().st_mtime_ns == published, "not republished"

    # One new export file is something new: the next run builds and publishes again.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    header = (built.sample_dir / "products.csv").read_text().split("\n", 1)[0]
    (inbox / "products_new.csv").write_text(
        header + "\nP99999,Mug,Home,Kitchen,Acme,9.99,3.10,true,2026-01-01T00:00:00Z\n"
    )
    third = pipeline_runner.run(settings, input_dir=inbox, say=lambda _m: None)
    assert third.document["status"] == "published"
    assert settings.published.stat().st_mtime_ns != published
    runs = sorted(path.name for path in (Path(settings.lake) / "_runs").glob("*.json"))
    documents = [first, second, third]
    assert {f"{report.document['run_id']}.json" for report in documents} <= set(runs)
    # The next no-op check reads one document: the last published run's, kept apart.
    [kept] = list(
        (Path(settings.lake) / "_runs_published").glob(f"local-{settings.warehouse_identity()}.json")
    )
    assert json.loads(kept.read_text())["run_id"] == third.document["run_id"]
    # The warehouse's ledger: every run, with what became of it, and which file each landed.
    with duckdb.connect(str(settings.published), read_only=True) as connection:
        ledger = dict(connection.execute("select run_id, status from ops.run_ledger").fetchall())
        [landed] = connection.execute(
            "select run_id, entity, status, rows_received, lake_file from ops.landed_files"
            " where file = 'products_new.csv'"
        ).fetchall()
    ids = [report.document["run_id"] for report in documents]
    assert ledger[ids[0]] == "published" and ledger[ids[1]] == "nothing new" and ledger[ids[2]] == "built"
    assert landed[:4] == (ids[2], "products", "landed", 1) and "/raw/shop/products/" in landed[4]


def test_steps_run_alone_or_from_one_on() -> None:
    assert [step.name for step in select_steps()] == list(STEP_NAMES)
    assert [step.name for step in select_steps(only="gate")] == ["gate"]
    assert [step.name for step in select_steps(start="build")] == [
        "build",
        "fit",
        "gate",
        "publish",
        "report",
    ]
    with pytest.raises(ValueError, match="unknown step 'deploy'; the steps are: land, stream"):
        select_steps(only="deploy")


def test_the_gate_step_refuses_a_failed_build_in_one_line(tmp_path: Path) -> None:
    event = {
        "steps": [{"name": "build", "status": "ok", "output": {"passed": False, "summary": "test x failed"}}]
    }
    result = runner.invoke(
        app,
        ["step", "gate", "--event", json.dumps(event), "--lake", str(tmp_path / "lake")],
        env={"C360_WAREHOUSE": str(tmp_path / "c360.duckdb")},
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: the build failed: test x failed; the published copy was left as it was"
    ]


def test_the_report_step_writes_the_run_document_it_was_given(tmp_path: Path) -> None:
    event = {"run_id": "20261126T000000Z-abc123", "steps": [{"name": "land", "status": "ok", "output": {}}]}
    result = runner.invoke(
        app,
        ["step", "report", "--event", json.dumps(event), "--lake", str(tmp_path / "lake")],
        env={"C360_WAREHOUSE": str(tmp_path / "c360.duckdb")},
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    written = json.loads((tmp_path / "lake" / "_runs" / "20261126T000000Z-abc123.json").read_text())
    assert written["run_id"] == printed["run_id"] == "20261126T000000Z-abc123"
    assert [step["name"] for step in written["steps"]] == ["land", "report"]


def _failed_document() -> dict[str, Any]:
    return {
        "run_id": "20261126T010203Z-ffffff",
        "target": "local",
        "lake": "/lake",
        "steps": [
            {
                "name": "build",
                "status": "ok",
                "output": {
                    "passed": False,
                    "failures": [
                        {
                            "test": "unique_fct_orders_order_id",
                            "status": "fail",
                            "failing_rows": 2,
                            "message": "Got 2",
                        }
                    ],
                },
            },
            {"name": "gate", "status": "failed", "error": "the build failed: unique_fct_orders_order_id"},
        ],
    }


def test_an_alert_is_a_file_in_the_lake_and_an_sns_message(
    tmp_path: Path, moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    sns = boto3.client("sns")
    sqs = boto3.client("sqs")
    topic = sns.create_topic(Name="c360-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="on-call")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    monkeypatch.setenv("C360_ALERT_TOPIC_ARN", topic)

    raised = alerts.raise_alert(open_lake(str(tmp_path / "lake")), _failed_document())

    written = json.loads((tmp_path / "lake" / "_alerts" / "20261126T010203Z-ffffff.json").read_text())
    assert written["failed_step"] == "gate"
    assert written["failing_tests"][0]["test"] == "unique_fct_orders_order_id"
    [message] = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)["Messages"]
    envelope = json.loads(message["Body"])
    assert envelope["Subject"] == "c360 run 20261126T010203Z-ffffff failed at gate"
    assert json.loads(envelope["Message"]) == written
    assert raised["sns_message_id"] == envelope["MessageId"]


def test_the_report_step_publishes_the_metrics_the_aws_alarms_watch(
    tmp_path: Path, moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("C360_ALERT_TOPIC_ARN", raising=False)
    monkeypatch.delenv("C360_METRICS_NAMESPACE", raising=False)
    assert alerts.publish_metrics(_failed_document()) is None  # not configured: nothing sent
    monkeypatch.setenv("C360_METRICS_NAMESPACE", "c360")
    result = runner.invoke(
        app,
        ["step", "report", "--event", json.dumps(_failed_document()), "--lake", str(tmp_path / "lake")],
        env={"C360_WAREHOUSE": str(tmp_path / "c360.duckdb")},
    )
    assert result.exit_code == 0, result.output
    cloudwatch = boto3.client("cloudwatch")
    listed = cloudwatch.list_metrics(Namespace="c360", MetricName="FailedTests")["Metrics"]
    assert listed[0]["Dimensions"] == [{"Name": "Target", "Value": "local"}]
    stats = cloudwatch.get_metric_statistics(
        Namespace="c360",
        MetricName="FailedTests",
        Dimensions=[{"Name": "Target", "Value": "local"}],
        StartTime=datetime.now(UTC) - timedelta(hours=1),
        EndTime=datetime.now(UTC) + timedelta(hours=1),
        Period=3600,
        Statistics=["Maximum"],
    )
    assert stats["Datapoints"][0]["Maximum"] == 1.0  # the one failing test of the document


def test_without_a_topic_the_alert_is_the_file_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("C360_ALERT_TOPIC_ARN", raising=False)
    raised = alerts.raise_alert(open_lake(str(tmp_path / "lake")), _failed_document())
    assert set(raised) == {"file"} and raised["file"].endswith("_alerts/20261126T010203Z-ffffff.json")


@pytest.mark.dbt
@pytest.mark.xdist_group("built")
def test_a_run_killed_mid_build_leaves_the_published_copy_and_the_next_run_recovers(
    built: Built, tmp_path: Path
) -> None:
    settings = copy_of_built(built, tmp_path)
    before = settings.published.read_bytes()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    header = (built.sample_dir / "products.csv").read_text().split("\n", 1)[0]
    (inbox / "products_new.csv").write_text(
        header + "\nP99998,Cup,Home,Kitchen,Acme,4.99,1.10,true,2026-01-01T00:00:00Z\n"
    )
    env = {
        **os.environ,
        "C360_LAKE": settings.lake,
        "C360_WAREHOUSE": str(settings.warehouse),
        "C360_PUBLISHED": str(settings.published),
    }
    command = [sys.executable, "-m", "c360.cli", "run", "--input", str(inbox)]
    run = subprocess.Popen(
        command,
        env=env,
        cwd=PROJECT_ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    record = Path(str(settings.warehouse) + ".build.json")
    for _attempt in range(600):  # until dbt is building (bounded: 60 s)
        if record.exists() and json.loads(record.read_text())["status"] == "building":
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the run never started building")
    time.sleep(3)  # well inside dbt build
    os.killpg(run.pid, signal.SIGKILL)  # the whole task: c360 and the dbt it started
    run.wait(timeout=30)

    assert settings.published.read_bytes() == before, "the published copy is untouched"
    with duckdb.connect(str(settings.published), read_only=True) as app_connection:
        assert app_connection.execute("select count(*) from analytics.monthly_revenue").fetchone()[0] > 0
    recovered = pipeline_runner.run(settings, say=lambda _m: None)
    assert recovered.document["status"] == "published"
    with duckdb.connect(str(settings.published), read_only=True) as app_connection:
        assert (
            app_connection.execute(
                "select count(*) from core.dim_products where product_id = 'P99998'"
            ).fetchone()[0]
            == 1
        )


def _tables(warehouse: Path) -> dict[str, list[str]]:
    """Every table and view of the warehouse's layers, as its rows in a canonical order."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        names = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema in ('staging', 'intermediate', 'core', 'analytics', 'customer') order by 1"
        ).fetchall()
        return {
            name: sorted(map(repr, connection.execute(f"select * from {name}").fetchall()))
            for (name,) in names
        }


@pytest.mark.dbt
@pytest.mark.xdist_group("built")
def test_a_new_hour_of_events_rebuilds_only_what_reads_events_and_equals_a_full_refresh(
    built: Built, tmp_path: Path
) -> None:
    settings = copy_of_built(built, tmp_path)
    assert pipeline_runner.run(settings, say=lambda _m: None).document["status"] == "published"

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "events_new_hour.jsonl").write_bytes(
        b"\n".join(
            event_bytes(event_id=f"new-{n}", event_type="page_view", anonymous_id=f"visitor-{n % 3}")
            for n in range(12)
        )
        + b"\n"
    )
    report = pipeline_runner.run(settings, input_dir=inbox, say=lambda _m: None)
    document = report.document
    assert document["status"] == "published"
    assert next(s["output"] for s in document["steps"] if s["name"] == "freshness")["changed_sources"] == [
        "web.events"
    ]
    results = json.loads((target_dir() / "run_results.json").read_text())["results"]
    rebuilt = {
        result["unique_id"].split(".")[-1] for result in results if result["unique_id"].startswith("model.")
    }
    assert {"stg_web__events", "fct_events", "fct_sessions", "channel_funnel"} <= rebuilt
    # Events name customers and products (inferred members), so the dimensions read them;
    # these events name none, so dim_customers and dim_products came out unchanged and what
    # reads events only through them was held back, as published. What reads only the shop
    # exports or the seeds is left as published too.
    assert {"dim_customers", "dim_products", "customer_360", "product_performance"} <= rebuilt
    assert not rebuilt & HELD_BEHIND_DIMENSIONS
    assert not rebuilt & {"stg_shop__customers", "stg_shop__transactions", "int_customer_versions_collapsed"}
    assert "dim_geographies" not in rebuilt
    # New clickstream cannot change what the CLV fit reads: one dbt call built all of it,
    # what reads the fit included, and the fit step had nothing to do. Unit tests test the
    # SQL, unchanged since the last green build: only the data tests ran.
    steps = {step["name"]: step["output"] for step in document["steps"]}
    assert steps["build"]["with_fit_children"] is True
    assert "customer_360" in rebuilt
    assert "skipped" in steps["fit"]
    assert not [result for result in results if result["unique_id"].startswith("unit_test.")]
    assert [result for result in results if result["unique_id"].startswith("test.")]

    # The same lake built from scratch gives the same rows in every model.
    fresh = Settings.resolve(lake=settings.lake, warehouse=tmp_path / "fresh" / "c360.duckdb")
    build(fresh, ["--full-refresh"], say=lambda _m: None)
    assert _tables(settings.warehouse) == _tables(fresh.warehouse)

    # An event of a customer and a product no export describes adds an inferred member to
    # each dimension: a second dbt call builds what was held back below them, and what of
    # the first call reads it again, so the two calls build all that reads events.
    inbox = tmp_path / "inbox-2"
    inbox.mkdir()
    (inbox / "events_next_hour.jsonl").write_bytes(
        event_bytes(event_id="new-customer", customer_id="C-NEVER-EXPORTED", product_id="P-NEVER-EXPORTED")
        + b"\n"
    )
    said: list[str] = []
    assert pipeline_runner.run(settings, input_dir=inbox, say=said.append).document["status"] == "published"
    results = json.loads((target_dir() / "run_results.json").read_text())["results"]
    models = [
        result["unique_id"].split(".")[-1] for result in results if result["unique_id"].startswith("model.")
    ]
    assert set(models) >= HELD_BEHIND_DIMENSIONS
    assert set(models) == _models_reading("source.c360.web.events")
    last = {name: at for at, name in enumerate(models)}
    # customer_360 reads fct_order_lines: built by both calls, the second time after it.
    assert models.count("customer_360") == 2 and last["customer_360"] > last["fct_order_lines"]
    assert any("dim_customers, dim_products changed" in line for line in said), said
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        inferred = connection.execute(
            "select is_inferred from core.dim_customers where customer_id = 'C-NEVER-EXPORTED'"
        ).fetchall()
    assert inferred == [(True,)]


# What reads events only through dim_customers and dim_products (c360_stop_if_unchanged).
HELD_BEHIND_DIMENSIONS = {
    "fct_order_lines",
    "fct_orders",
    "product_affinity",
    "geo_revenue",
    "demand_forecast_base",
    "monthly_revenue",
}


def _models_reading(source: str) -> set[str]:
    """The names of every model below ``source`` in the last dbt call's graph."""
    children = json.loads((target_dir() / "manifest.json").read_text())["child_map"]
    reached, todo = set(), [source]
    while todo:
        node = todo.pop()
        if node not in reached:
            reached.add(node)
            todo += children.get(node, [])
    return {node.split(".")[-1] for node in reached if node.startswith("model.")}


@pytest.mark.dbt
def test_dirty_exports_are_accounted_for_row_by_row_as_the_answer_key_says(tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    generate(sample, scale=0.02, seed=3, dirty=0.01)
    key = json.loads((sample / "answer_key.json").read_text())
    settings = Settings.resolve(
        lake=tmp_path / "lake", warehouse=tmp_path / "c360.duckdb", published=tmp_path / "published.duckdb"
    )
    document = pipeline_runner.run(settings, input_dir=sample, say=lambda _m: None).document
    accounts = next(step["output"] for step in document["steps"] if step["name"] == "build")["accounts"]
    received = {
        "shop.customers": key["rows_written"]["customers"] + key["rows_written"]["customers_update"],
        "shop.products": key["rows_written"]["products"],
        "shop.transactions": key["rows_written"]["transactions"],
        "web.events": key["rows_written"]["events"],
    }
    for source, numbers in accounts.items():
        entity = source.split(".")[1]
        expected = key["expected"][entity]
        assert numbers["received"] == received[source], source
        assert numbers["quarantined"] == sum(expected["quarantined"].values()), source
        assert numbers["quarantined_by_reason"] == expected["quarantined"], source
        assert numbers["rejected"] == sum(expected["rejected"].values()), source
        assert numbers["duplicates"] == key["injected"][entity]["duplicates"], source
        assert numbers["balanced"], source
        parts = numbers["accepted"] + numbers["quarantined"] + numbers["rejected"] + numbers["duplicates"]
        assert parts == numbers["received"]
        assert numbers["unlanded"] == 0, source

    # A file copied into raw/ by hand has no landing receipt: its rows are read but were
    # never received, so the run fails, naming the file, and the published copy stays.
    published = settings.published.read_bytes()
    lake = open_lake(settings.lake)
    [landed] = lake.list_keys("raw/shop/products/")
    copied = landed.replace(".csv", "0.csv")
    lake.put_bytes(copied, lake.get_bytes(landed))
    with pytest.raises(BuildFailedError, match=r"the accounts do not balance: shop\.products") as failed:
        pipeline_runner.run(settings, say=lambda _m: None)
    assert copied in str(failed.value) and "c360 unland" in str(failed.value)
    assert settings.published.read_bytes() == published
    [alert] = lake.list_keys("_alerts/")
    assert "do not balance" in json.loads(lake.get_bytes(alert))["error"]

    # Taken back, the lake holds again exactly what the published copy was built from.
    result = runner.invoke(app, ["unland", copied, "--reason", "copied by hand", "--lake", settings.lake])
    assert result.exit_code == 0, result.output
    again = pipeline_runner.run(settings, say=lambda _m: None).document
    assert again["nothing_new_since"] == document["run_id"]
