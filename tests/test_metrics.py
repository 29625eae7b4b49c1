"""The semantic layer: `mf query` answers the metrics as the marts do, and the app's metric
queries are MetricFlow's compilation of the same definitions."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from c360.settings import DBT_PROJECT_DIR, Settings
from c360.warehouse import metrics
from c360.warehouse.dbt import run_dbt, target_dir
from tests.conftest import Built

MONTHLY = ("net_revenue", "orders", "customers", "new_customers")


def mf_query(
    settings: Settings, metric_names: tuple[str, ...], group_by: str, workdir: Path
) -> list[dict[str, str]]:
    """`mf query` as an analyst runs it from dbt/ with the project's profile, for the
    settings' target, as CSV rows. mf reads <project>/target/semantic_manifest.json, so it
    runs in a view of dbt/ (``workdir``) whose target is this session's dbt target."""
    view = workdir / "dbt"
    view.mkdir(parents=True)
    for entry in DBT_PROJECT_DIR.iterdir():
        if not entry.name.startswith(("target", "logs")):
            (view / entry.name).symlink_to(entry)
    (view / "target").symlink_to(target_dir())
    out = workdir / "mf-result.csv"
    finished = subprocess.run(
        [
            str(Path(sys.executable).parent / "mf"),
            "query",
            "--metrics",
            ",".join(metric_names),
            "--group-by",
            group_by,
            "--csv",
            str(out),
        ],
        cwd=view,
        env={**os.environ, **settings.environment(), "DBT_PROFILES_DIR": str(view)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    with out.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def by_month(rows: list[dict[str, str]]) -> dict[str, dict[str, Decimal]]:
    """mf's rows keyed by month (YYYY-MM), every metric a Decimal (0 when null)."""
    return {
        row["metric_time__month"][:7]: {name: Decimal(row[name] or 0) for name in MONTHLY} for row in rows
    }


def assert_equals_monthly_revenue(
    answered: dict[str, dict[str, Decimal]], mart: list[tuple[Any, ...]]
) -> None:
    """Net revenue to the cent and the counts exactly, for every month of the mart (a
    month without orders is a row of zeros there, and absent or zero in mf's answer)."""
    assert mart
    for month_start, *values in mart:
        month = str(month_start)[:7]
        expected = dict(zip(MONTHLY, values, strict=True))
        got = answered.get(month, dict.fromkeys(MONTHLY, Decimal(0)))
        assert round(got["net_revenue"], 2) == round(Decimal(expected["net_revenue"]), 2), month
        for name in ("orders", "customers", "new_customers"):
            assert got[name] == expected[name], (month, name)
    assert set(answered) <= {str(row[0])[:7] for row in mart}


MART_SQL = f"select month_start, {', '.join(MONTHLY)} from analytics.monthly_revenue order by 1"


@pytest.fixture(scope="module")
def parsed(built: Built) -> dict[str, Any]:
    """The session warehouse's project parsed for its target (this worker's dbt target may
    hold another test's manifest): the semantic manifest mf and the app read."""
    assert run_dbt(built.settings, ["parse"]).ok
    loaded: dict[str, Any] = json.loads((target_dir() / "semantic_manifest.json").read_text("utf-8"))
    return loaded


def test_mf_query_equals_monthly_revenue_month_for_month_on_duckdb(
    built: Built, parsed: dict[str, Any], tmp_path: Path
) -> None:
    answered = by_month(mf_query(built.settings, MONTHLY, "metric_time__month", tmp_path))
    with duckdb.connect(str(built.settings.published), read_only=True) as connection:
        mart = connection.execute(MART_SQL).fetchall()
    assert len(mart) >= 12
    assert_equals_monthly_revenue(answered, mart)


def test_the_app_reads_the_metrics_as_metricflow_compiles_them(parsed: dict[str, Any]) -> None:
    manifest = parsed
    # What `c360 metrics --check` (make lint) holds: the generated file is this compilation.
    assert not metrics.stale(manifest)
    # A metric defined differently compiles differently, so the check would fail.
    changed = json.loads(json.dumps(manifest))
    measure = next(
        measure
        for model in changed["semantic_models"]
        for measure in model["measures"]
        if measure["name"] == "line_sales"
    )
    measure["expr"] = "line_amount"
    assert metrics.stale(changed)
    # Every relation is a mart, named as the app names them; a semantic model over anything
    # else is refused in one line.
    sql = metrics.compile_queries(manifest)["KPIS"]
    assert "{core}.fct_order_lines" in sql and '"c360"' not in sql
    staging = json.loads(json.dumps(manifest))
    staging["semantic_models"][0]["node_relation"]["schema_name"] = "staging"
    with pytest.raises(metrics.MetricsError, match="not a mart"):
        metrics.with_app_relations(staging)


def test_a_metric_that_names_no_measure_is_one_line(tmp_path: Path) -> None:
    project = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target*", "logs"))
    metrics_file = project / "models" / "semantic" / "_metrics.yml"
    text = metrics_file.read_text("utf-8").replace("measure: line_sales", "measure: line_sale")
    metrics_file.write_text(text, "utf-8")
    with pytest.raises(metrics.MetricsError) as raised:
        metrics.semantic_manifest(project)
    message = str(raised.value)
    assert "line_sale" in message and "\n" not in message
