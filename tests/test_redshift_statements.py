"""Everything a Redshift run sends is valid Redshift.

Redshift cannot be reached from CI. These tests run the production code paths as they run
in AWS (``c360 run --target redshift``: landing to S3, Spectrum registration, dbt-redshift's
materializations, tests and unit tests, the hooks, grants, write-audit-publish, the run
ledger) against moto_server's S3 and a fake Redshift at the driver level
(``tests/fake_redshift``), which records every statement. Each statement is then parsed with
sqlfluff's redshift dialect and checked against the documented restrictions of
``tests/redshift_rules.py``.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redshift_rules import Statement, check
from typer.testing import CliRunner

from c360 import pipeline
from c360.cli import app
from c360.dbt_runner import target_dir
from c360.redshift_check import STAGES
from c360.settings import Settings
from loaders.lake import open_lake

pytestmark = pytest.mark.dbt

FAKE_DIR = Path(__file__).parent / "fake_redshift"
BUCKET = "c360-redshift"
DAY = "2025-11-30"
CHECK_PREFIX = "c360_check_test_"


@dataclass
class Recorded:
    statements: list[dict[str, Any]]
    catalog: dict[str, Any]
    runs: list[dict[str, Any]]
    settings: Settings
    check_output: str = ""
    check_exit_code: int = 0
    check_catalog: dict[str, Any] | None = None


def tiny_exports(
    sample_dir: Path, out: Path, hours: tuple[str, ...] = ("10", "11"), events: int = 12
) -> Path:
    """A few rows of each export of the session's sample, its events moved into a couple of
    hours of one day: enough for every model, few enough partitions to check quickly."""
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("customers", 8), ("customers_update", 3), ("products", 6), ("transactions", 12)):
        with (sample_dir / f"{name}.csv").open(newline="", encoding="utf-8") as source:
            lines = list(csv.reader(source))[: rows + 1]
        with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as target:
            csv.writer(target, quoting=csv.QUOTE_ALL).writerows(lines)
    with gzip.open(sample_dir / "events.jsonl.gz", "rt", encoding="utf-8") as source:
        records = [json.loads(line) for _, line in zip(range(events), source, strict=False)]
    with gzip.open(out / "events.jsonl.gz", "wt", encoding="utf-8") as target:
        for number, record in enumerate(records):
            record["occurred_at"] = f"{DAY}T{hours[number % len(hours)]}:{number:02d}:00.123456789Z"
            target.write(json.dumps(record) + "\n")
    return out


def more_events(out: Path, hour: str, count: int = 3) -> Path:
    """A later export of a few new events in an hour that already has some."""
    out.mkdir(parents=True, exist_ok=True)
    with gzip.open(out / "events.jsonl.gz", "wt", encoding="utf-8") as target:
        for number in range(count):
            event = {
                "event_id": str(uuid.UUID(int=number + 1)),
                "event_type": "page_view",
                "occurred_at": f"{DAY}t{hour}:5{number}:00z",
                "anonymous_id": "a-late",
            }
            target.write(json.dumps(event) + "\n")
    return out


@pytest.fixture(scope="module")
def fake_redshift_env(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The environment of a Redshift run against the fake and moto_server, for this process
    (the fake installed in-process) and the dbt processes it starts (PYTHONPATH)."""
    import boto3

    state = tmp_path_factory.mktemp("fake-redshift")
    variables = {
        "C360_FAKE_REDSHIFT": str(state),
        "C360_FAKE_REDSHIFT_MANIFEST": str(target_dir() / "manifest.json"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(FAKE_DIR), os.environ.get("PYTHONPATH")])),
        "C360_REDSHIFT_HOST": "fake-redshift.invalid",
        "DBT_ENV_SECRET_REDSHIFT_PASSWORD": "fake",
        "C360_S3_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in variables.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        patch.syspath_prepend(str(FAKE_DIR))
        import fake_redshift
        import redshift_connector

        patch.setattr(redshift_connector, "connect", fake_redshift.connect)
        boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1").create_bucket(Bucket=BUCKET)
        yield state


@pytest.fixture(scope="module")
def recorded(fake_redshift_env: Path, sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """Two runs on Redshift: a first build from an empty cluster, then one after a later
    export of events in an hour that already had some (compacted, registered again, built
    incrementally and published over the first)."""
    root = tmp_path_factory.mktemp("redshift-runs")
    settings = Settings.resolve(
        lake=f"s3://{BUCKET}/lake", warehouse=root / "warehouse" / "c360.duckdb", target="redshift"
    )
    quiet = lambda _message: None  # noqa: E731
    first = pipeline.run(settings, input_dir=tiny_exports(sample_dir, root / "first"), say=quiet)
    second = pipeline.run(settings, input_dir=more_events(root / "second", hour="10"), say=quiet)
    catalog = json.loads((fake_redshift_env / "catalog.json").read_text("utf-8"))
    # Then the smoke test of a new cluster, on the same fake, under its own schemas.
    check = CliRunner().invoke(
        app, ["redshift", "check", "--bucket", BUCKET, "--schema-prefix", CHECK_PREFIX]
    )
    lines = (fake_redshift_env / "statements.jsonl").read_text("utf-8").splitlines()
    return Recorded(
        [json.loads(line) for line in lines],
        catalog,
        [first.document, second.document],
        settings,
        check_output=check.output,
        check_exit_code=check.exit_code,
        check_catalog=json.loads((fake_redshift_env / "catalog.json").read_text("utf-8")),
    )


def _bound(sql: str, params: Any) -> str:
    """The statement as the cluster sees it once the driver binds the parameters."""
    if not params:
        return sql
    values = iter(params)

    def literal(value: Any) -> str:
        if value is None:
            return "null"
        if isinstance(value, bool | int | float):
            return str(value).lower() if isinstance(value, bool) else str(value)
        return "'" + str(value).replace("'", "''") + "'"

    parts = sql.split("%s")
    return parts[0] + "".join(literal(next(values)) + part for part in parts[1:])


# A statement dbt-redshift itself writes may break a rule; each exemption says why it may.
ADAPTER_EXEMPTIONS = {
    ("backslash-in-literal", "not like 'pg\\_%'"): (
        "dbt-redshift's query of view dependencies for its relation cache (redshift__get_relations),"
        " on the leader node's catalog: Redshift reads 'pg\\_%' as 'pg_%', which still leaves out"
        " the catalog's schemas; the project does not write it"
    ),
}
TEMPORARY_NAME = re.compile(r"__dbt_(tmp|backup)\d*")


def _exempt(rule: str, sql: str) -> bool:
    return any(rule == exempt_rule and marker in sql for exempt_rule, marker in ADAPTER_EXEMPTIONS)


def _contract_models() -> set[str]:
    manifest = json.loads((target_dir() / "manifest.json").read_text("utf-8"))
    return {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if (node.get("config", {}).get("contract") or {}).get("enforced")
    }


def kind(entry: dict[str, Any]) -> str:
    """What a statement is, for the tally: who sent it and what it does."""
    text = " ".join(entry["sql"].split()).lower()
    if text.startswith("/*"):
        text = text.split("*/", 1)[1].strip()
    node = entry.get("node") or ""
    if text.startswith("create external") or (text.startswith("alter table") and "partition" in text):
        return "spectrum DDL and partitions"
    if "c360_loader" in text:
        return "spectrum committed parts"
    if node.startswith("operation.") and "on-run-start" in node:
        return "on-run-start hook"
    if node.startswith("operation.") and "on-run-end" in node:
        return "on-run-end hook"
    if text.startswith("grant"):
        return "grants"
    if node.startswith("unit_test."):
        return "unit tests"
    if node.startswith("test."):
        return "tests"
    if node.startswith("model."):
        return "models (materialization DDL and queries)"
    if node.startswith("seed."):
        return "seeds"
    if ("rename to" in text and "schema" in text) or "__audit" in text:
        return "audit and publish"
    if '"ops"' in text or " ops." in text:
        return "run ledger"
    return "catalog and other queries"


def findings(recorded: Recorded) -> tuple[dict[str, list[str]], Counter[str]]:
    contracts = _contract_models()
    seen: set[tuple[str, str | None, bool]] = set()
    found: dict[str, list[str]] = {}
    kinds: Counter[str] = Counter()
    for entry in recorded.statements:
        kinds[kind(entry)] += 1
        # dbt names temporary relations with a time stamp: one check per statement shape.
        sql = TEMPORARY_NAME.sub(r"__dbt_\1", _bound(entry["sql"], entry.get("params")))
        key = (sql, entry.get("node"), bool(entry.get("in_transaction")))
        if key in seen:
            continue
        seen.add(key)
        statement = Statement(
            sql, entry.get("node"), bool(entry.get("in_transaction")), entry.get("node") in contracts
        )
        for finding in check(statement):
            if not _exempt(finding.rule, sql):
                found.setdefault(finding.rule, []).append(f"{entry.get('node')}: {finding.detail}")
    return found, kinds


def test_every_statement_of_two_redshift_runs_is_valid_redshift(recorded: Recorded) -> None:
    assert [run["status"] for run in recorded.runs] == ["published", "published"]
    found, kinds = findings(recorded)
    print("statements by kind:", dict(kinds))  # the closing note reports these
    assert found == {}
    # Everything a build sends was there to check.
    for expected in (
        "spectrum DDL and partitions",
        "spectrum committed parts",
        "on-run-start hook",
        "on-run-end hook",
        "grants",
        "unit tests",
        "tests",
        "models (materialization DDL and queries)",
        "seeds",
        "audit and publish",
    ):
        assert kinds[expected] > 0, expected
    texts = [" ".join(entry["sql"].split()).lower() for entry in recorded.statements]
    assert any(text.startswith("merge into") or " merge into " in text for text in texts)  # fct_events, run 2
    assert any("(like " in text and "__audit" in text for text in texts)  # audit seeded from published


def _model_sql(recorded: Recorded, model: str) -> str:
    return "\n".join(
        entry["sql"] for entry in recorded.statements if entry.get("node") == f"model.c360.{model}"
    )


def test_redshift_gets_its_own_sql_its_configs_and_its_grants(recorded: Recorded) -> None:
    base = _model_sql(recorded, "base_shop__customers")
    assert "try_cast(nullif(trim(" in base and '"$path" as _source_file' in base
    assert "with no schema binding" in _model_sql(recorded, "stg_web__events")  # views over Spectrum
    events = " ".join(_model_sql(recorded, "fct_events").split()).lower()
    assert "diststyle key distkey (anonymous_id)" in events and "merge into" in events
    assert "varchar(65535)" in events  # a bare varchar would be 256 bytes
    # Contact details are hashed with sha2 and the salt of the environment, as a literal
    # that means the same on every engine.
    salt = "'c360' || chr(39) || 'test' || chr(92) || 'salt' || chr(37)"
    assert f"sha2(({salt}) || versions.email, 256)" in _model_sql(recorded, "dim_customers")
    # The analyst role may select the marts (in the schemas being audited), nothing else.
    grants = [
        " ".join(e["sql"].split()).lower() for e in recorded.statements if "grant select" in e["sql"].lower()
    ]
    assert grants
    for grant in grants:
        assert re.search(r'on "c360"\."(core|analytics|customer)__audit"\.', grant), grant
        assert grant.endswith("to role c360_analyst")


def test_new_hours_are_registered_without_dropping_anything(recorded: Recorded) -> None:
    texts = [" ".join(entry["sql"].split()).lower() for entry in recorded.statements]
    assert not [text for text in texts if text.startswith("drop table") and "raw_" in text]
    partitions = recorded.catalog["partitions"]
    raw_events = partitions["raw_web.events"]
    assert sorted(raw_events) == [f"dt = '{DAY}', hr = '10'", f"dt = '{DAY}', hr = '11'"]
    # The hour that got a second file was compacted in the second run and registered then;
    # its parts are the committed list staging joins on "$path".
    assert list(partitions["raw_web.events_compacted"]) == [f"dt = '{DAY}', hr = '10'"]
    second = recorded.runs[1]
    load_raw = next(step for step in second["steps"] if step["name"] == "load_raw")["output"]
    assert load_raw["partitions_added"] == 1 and load_raw["compacted_parts"] >= 1
    assert load_raw["tables_created"] == []  # nothing recreated on the second run


def test_the_rules_catch_what_the_first_redshift_build_would_have_sent() -> None:
    """The statements that made the first build on a real cluster fail, as the project sent
    them before: each is caught (the before-and-after counts are in the closing note)."""
    postgres_function = (
        "create or replace function public.c360_try_cast(value text, example anyelement)"
        " returns anyelement language plpgsql immutable as $$ begin return null; end; $$"
    )
    nested = (
        "create view staging.v as (with __dbt__cte__base as (with source as (select 1 as x)"
        " select * from source) select * from __dbt__cte__base) with no schema binding"
    )
    audit_view = (
        "create view intermediate.v as (select * from core__audit.fct_order_lines) with no schema binding"
    )
    sentinel = "select md5(coalesce(first_name, '\\N')) from staging.stg_shop__customers"
    rules = {
        finding.rule
        for sql in (postgres_function, nested, audit_view, sentinel)
        for finding in check(Statement(sql))
    }
    assert {"create-function", "nested-with", "view-after-publish", "backslash-in-literal"} <= rules


def test_the_redshift_check_runs_every_stage_then_takes_away_what_it_made(
    recorded: Recorded, moto_server: str
) -> None:
    assert recorded.check_exit_code == 0, recorded.check_output
    stages = [line.split()[0] for line in recorded.check_output.splitlines() if line.split()[:1]]
    assert [stage for stage in stages if stage in STAGES] == list(STAGES)
    for line in recorded.check_output.splitlines():
        if line.split()[:1] and line.split()[0] in STAGES:
            assert line.split()[1] == "ok", line
    assert recorded.check_catalog is not None
    assert [name for name in recorded.check_catalog["schemas"] if name.startswith(CHECK_PREFIX)] == []
    # Its schemas were there while it ran: built, published and dropped (external ones with
    # their Glue database), and its S3 objects are gone, the production lake's untouched.
    texts = [" ".join(entry["sql"].split()).lower() for entry in recorded.statements]
    assert any(f"create external schema if not exists {CHECK_PREFIX}raw_web" in text for text in texts)
    assert any(f'"{CHECK_PREFIX}analytics__audit"' in text and "rename" in text for text in texts)
    assert any(
        f'drop schema if exists "{CHECK_PREFIX}raw_web" drop external database cascade' in text
        for text in texts
    )
    check_lake = open_lake(f"s3://{BUCKET}/c360-check/{CHECK_PREFIX.rstrip('_')}", endpoint_url=moto_server)
    assert check_lake.list_keys("") == []
    assert open_lake(f"s3://{BUCKET}/lake", endpoint_url=moto_server).list_keys("raw/")


def test_analyses_compile_to_valid_redshift(fake_redshift_env: Path, tmp_path: Path) -> None:
    """The Redshift health queries and the analyst questions of dbt/analyses/."""
    from c360.dbt_runner import run_dbt

    settings = Settings.resolve(
        lake=f"s3://{BUCKET}/lake", warehouse=tmp_path / "w.duckdb", target="redshift"
    )
    result = run_dbt(
        settings, ["compile", "--select", "resource_type:analysis", "--target-path", str(tmp_path)]
    )
    assert result.ok
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    analyses = {
        node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "analysis"
    }
    assert {"vacuum_candidates", "analyze_candidates", "unsorted_share", "distribution_skew"} <= set(analyses)
    for name, node in analyses.items():
        assert check(Statement(node["compiled_code"])) == [], name
    skew = analyses["distribution_skew"]["compiled_code"]
    assert "on info.table_id = spread.table_id" in skew, "statistics join on the table's id, not its name"
