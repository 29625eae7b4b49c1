"""Everything two Redshift runs send is valid Redshift (see tests/redshift_harness.py): a
first build on an empty cluster, then one after a later export of events in an hour that
already had some (compacted, registered, built incrementally, published over the first)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redshift_harness import BUCKET, DAY, fake_redshift_env, findings, more_events, recorded, tiny_exports
from redshift_rules import Statement, check

from c360.pipeline import runner
from c360.settings import Settings
from c360.warehouse.dbt import run_dbt

# One worker runs the two runs once for every test here.
pytestmark = [pytest.mark.dbt, pytest.mark.xdist_group("redshift-runs")]


@dataclass
class Runs:
    statements: list[dict[str, Any]]
    catalog: dict[str, Any]
    documents: list[dict[str, Any]]


@pytest.fixture(scope="module")
def fake_cluster(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with fake_redshift_env(moto_server, tmp_path_factory.mktemp("fake-redshift")) as state:
        yield state


@pytest.fixture(scope="module")
def runs(fake_cluster: Path, sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("redshift-runs")
    settings = Settings.resolve(
        lake=f"s3://{BUCKET}/lake", warehouse=root / "warehouse" / "c360.duckdb", target="redshift"
    )
    quiet = lambda _message: None  # noqa: E731
    first = runner.run(settings, input_dir=tiny_exports(sample_dir, root / "first"), say=quiet)
    second = runner.run(settings, input_dir=more_events(root / "second", hour="10"), say=quiet)
    sent = recorded(fake_cluster)
    return Runs(sent.statements, sent.catalog, [first.document, second.document])


def test_every_statement_of_two_redshift_runs_is_valid_redshift(runs: Runs) -> None:
    assert [run["status"] for run in runs.documents] == ["published", "published"]
    found, kinds = findings(runs.statements)
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
    texts = [" ".join(entry["sql"].split()).lower() for entry in runs.statements]
    assert any(text.startswith("merge into") or " merge into " in text for text in texts)  # fct_events, run 2
    assert any("(like " in text and "__audit" in text for text in texts)  # audit seeded from published


def _model_sql(runs: Runs, model: str) -> str:
    return "\n".join(entry["sql"] for entry in runs.statements if entry.get("node") == f"model.c360.{model}")


def test_redshift_gets_its_own_sql_its_configs_and_its_grants(runs: Runs) -> None:
    assert "try_cast(nullif(trim(" in _model_sql(runs, "base_shop__customers")
    # The landed models read Spectrum, naming each row's S3 object and its lake key.
    landed = _model_sql(runs, "landed_shop__customers")
    assert "regexp_substr(\"$path\", 'raw/(web|shop)/.*$') as _source_file" in landed
    events = " ".join(_model_sql(runs, "fct_events").split()).lower()
    assert "diststyle key distkey (anonymous_id)" in events and "merge into" in events
    assert "varchar(65535)" in events  # a bare varchar would be 256 bytes
    # Contact details are hashed with sha2 and the salt of the environment, as a literal
    # that means the same on every engine.
    salt = "'c360' || chr(39) || 'test' || chr(92) || 'salt' || chr(37)"
    assert f"sha2(({salt}) || versions.email, 256)" in _model_sql(runs, "dim_customers")
    # The analyst role may select the marts (in the schemas being audited), nothing else.
    grants = [
        " ".join(e["sql"].split()).lower() for e in runs.statements if "grant select" in e["sql"].lower()
    ]
    assert grants
    for grant in grants:
        assert re.search(r'on "c360"\."(core|analytics|customer)__audit"\.', grant), grant
        assert grant.rstrip("; ").endswith("to role c360_analyst")


def test_new_hours_are_registered_without_dropping_anything(runs: Runs) -> None:
    texts = [" ".join(entry["sql"].split()).lower() for entry in runs.statements]
    assert not [text for text in texts if text.startswith("drop table") and "raw_" in text]
    partitions = runs.catalog["partitions"]
    raw_events = partitions["raw_web.events"]
    assert sorted(raw_events) == [f"dt = '{DAY}', hr = '10'", f"dt = '{DAY}', hr = '11'"]
    # The hour that got a second file was compacted in the second run and registered then;
    # its parts are the committed list staging joins on "$path".
    assert list(partitions["raw_web.events_compacted"]) == [f"dt = '{DAY}', hr = '10'"]
    second = runs.documents[1]
    load_raw = next(step for step in second["steps"] if step["name"] == "load_raw")["output"]
    assert load_raw["partitions_added"] == 1 and load_raw["compacted_parts"] >= 1
    assert load_raw["tables_created"] == []  # nothing recreated on the second run


def test_the_second_build_scans_only_the_partitions_of_new_files(runs: Runs) -> None:
    """The landed models read the list of raw files load_raw keeps, and name each new file and
    its partition, so Spectrum prunes every other partition (the fake does not run SQL, so
    every listed file reads as new here; DuckDB and PostgreSQL test which ones are)."""
    second = runs.documents[1]
    load_raw = next(step for step in second["steps"] if step["name"] == "load_raw")["output"]
    assert load_raw["raw_files_added"] == 1 and load_raw["raw_files_removed"] == 0
    landed = [
        " ".join(entry["sql"].split())
        for entry in runs.statements
        if entry.get("node") == "model.c360.landed_web__events" and '"$path" in (' in entry["sql"]
    ]
    assert landed, "the second build read only named files"
    assert f"(dt = '{DAY}' and hr = '10')" in landed[-1]
    forget = [
        entry["sql"]
        for entry in runs.statements
        if entry.get("node") == "model.c360.landed_web__events" and "delete from" in entry["sql"].lower()
    ]
    assert forget and "c360_loader" in forget[-1] and "raw_files" in forget[-1]


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


def test_analyses_compile_to_valid_redshift(fake_cluster: Path, tmp_path: Path) -> None:
    """The Redshift health queries and the analyst questions of dbt/analyses/."""
    settings = Settings.resolve(
        lake=f"s3://{BUCKET}/lake", warehouse=tmp_path / "w.duckdb", target="redshift"
    )
    result = run_dbt(settings, ["compile", "--select", "resource_type:analysis"], target_path=tmp_path)
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
