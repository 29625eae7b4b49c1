"""What a selective build runs, read from dbt's graph and wrong only on the side of caution:
whether it needs the fit step, and what it holds back behind a conformed dimension."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from c360.settings import Settings
from c360.warehouse import build, clv_fit
from c360.warehouse.dbt import DbtResult
from c360.warehouse.selection import STOP_KEY, selection_reaches_fit, stop_plan, table_digests

INPUTS = f"model.c360.{clv_fit.INPUTS}"
CHILD_MAP = {
    "source.c360.web.events": ["model.c360.stg_web__events"],
    "model.c360.stg_web__events": ["model.c360.fct_sessions"],
    "model.c360.fct_sessions": ["model.c360.customer_360"],
    "source.c360.shop.transactions": ["model.c360.stg_shop__transactions"],
    "model.c360.stg_shop__transactions": [INPUTS],
    INPUTS: ["model.c360.customer_360"],
    "model.c360.customer_360": [],
}


@pytest.fixture
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path))
    (tmp_path / "manifest.json").write_text(json.dumps({"child_map": CHILD_MAP}), "utf-8")
    return tmp_path


def test_new_clickstream_does_not_reach_the_fit_and_new_order_lines_do(target: Path) -> None:
    assert not selection_reaches_fit(["source:web.events+"])
    assert selection_reaches_fit(["source:shop.transactions+"])
    assert selection_reaches_fit(["source:web.events+", "source:shop.transactions+"])


def test_when_the_graph_cannot_tell_the_build_has_two_parts(target: Path) -> None:
    assert selection_reaches_fit(None)  # everything
    assert selection_reaches_fit(["stg_web__events+"])  # a term it does not read
    assert selection_reaches_fit(["source:web.unknown+"])  # a source the graph lacks
    (target / "manifest.json").unlink()
    assert selection_reaches_fit(["source:web.events+"])


# A selection held back behind a conformed dimension (c360_stop_if_unchanged).
GRAPH = {
    "source.c360.web.events": ["model.c360.stg_web__events"],
    "model.c360.stg_web__events": ["model.c360.dim_customers", "model.c360.fct_sessions"],
    "model.c360.dim_customers": ["model.c360.fct_sessions", "model.c360.fct_order_lines"],
    "model.c360.fct_order_lines": ["model.c360.monthly_revenue", "model.c360.customer_360"],
    "model.c360.fct_sessions": ["model.c360.customer_360"],
    "model.c360.monthly_revenue": [],
    "model.c360.customer_360": [],
    "source.c360.clv_fit.predictions": ["model.c360.customer_360"],
}
TESTS = {
    "unique_fct_sessions": ["model.c360.fct_sessions"],
    "not_null_fct_order_lines": ["model.c360.fct_order_lines"],
    "relationships_fct_order_lines_dim_customers": ["model.c360.fct_order_lines", "model.c360.dim_customers"],
    "revenue_adds_up": ["model.c360.monthly_revenue", "model.c360.customer_360"],
}


def _node(unique_id: str, **config: object) -> dict[str, object]:
    name = unique_id.split(".")[-1]
    return {
        "name": name,
        "resource_type": "model",
        "schema": "core",
        "alias": name,
        "config": config,
    }


@pytest.fixture
def graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path))
    nodes = {node: _node(node) for node in GRAPH if node.startswith("model.")}
    nodes["model.c360.dim_customers"] = _node("model.c360.dim_customers", meta={STOP_KEY: True})
    for name, parents in TESTS.items():
        nodes[f"test.c360.{name}"] = {"name": name, "resource_type": "test", "depends_on": {"nodes": parents}}
    (tmp_path / "manifest.json").write_text(json.dumps({"child_map": GRAPH, "nodes": nodes}), "utf-8")
    return tmp_path


def test_what_a_selection_reaches_only_through_a_stop_is_held_back(graph: Path) -> None:
    plan = stop_plan(["build", "--select", "source:web.events+", "--exclude-resource-type", "unit_test"])
    assert plan is not None
    assert plan.stops == {"dim_customers": '"core"."dim_customers"'}
    assert sorted(node.split(".")[-1] for node in plan.held) == ["fct_order_lines", "monthly_revenue"]
    # The first call names each node, its tests too: those of held models only wait (the
    # relationship test reads nothing built but the stop); one that also reads a model
    # built anyway runs on the held one as it stands.
    assert plan.first == [
        "customer_360",
        "dim_customers",
        "fct_sessions",
        "stg_web__events",
        "revenue_adds_up",
        "unique_fct_sessions",
    ]
    args = plan.first_args(
        ["build", "--select", "source:web.events+", "--exclude", "source:clv_fit.predictions+"]
    )
    assert args == [
        "build",
        "--exclude",
        "source:clv_fit.predictions+",
        "--select",
        *plan.first,
        "--indirect-selection",
        "empty",
    ]
    # A changed stop: the held models below it, and what of the first call reads them.
    assert plan.below_changed(["dim_customers"]) == ["customer_360", "fct_order_lines", "monthly_revenue"]
    assert plan.below_changed([]) == []
    assert plan.second_args(args, ["fct_order_lines"])[-2:] == ["--select", "fct_order_lines"]


def test_an_excluded_model_and_its_tests_stay_out_of_the_plan(graph: Path) -> None:
    plan = stop_plan(["build", "--select", "source:web.events+", "--exclude", "source:clv_fit.predictions+"])
    assert plan is not None
    assert "customer_360" not in plan.first and "revenue_adds_up" not in plan.first
    assert plan.below_changed(["dim_customers"]) == ["fct_order_lines", "monthly_revenue"]


def test_a_selection_the_graph_cannot_plan_is_built_in_one_call(graph: Path) -> None:
    assert stop_plan(["build"]) is None  # everything
    assert stop_plan(["build", "--select", "stg_web__events+"]) is None  # a user's own selection
    assert stop_plan(["build", "--select", "source:web.events+", "--exclude", "fct_sessions"]) is None
    assert stop_plan(["build", "--select", "source:clv_fit.predictions+"]) is None  # nothing held back
    (graph / "manifest.json").unlink()
    assert stop_plan(["build", "--select", "source:web.events+"]) is None


def test_a_digest_tells_a_changed_table_from_an_unchanged_one(tmp_path: Path) -> None:
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    connection.execute("create table dim as select * from (values (1, 'a'), (2, 'b')) as t(id, name)")

    def query(sql: str) -> list[dict[str, object]]:
        cursor = connection.execute(sql)
        return [dict(zip([c[0] for c in cursor.description], row, strict=True)) for row in cursor.fetchall()]

    relations = {"dim": "dim"}
    before = table_digests(query, relations)
    connection.execute(
        "create or replace table dim as select * from (values (2, 'b'), (1, 'a')) as t(id, name)"
    )
    assert table_digests(query, relations) == before  # the same rows, in another order
    connection.execute("update dim set name = 'c' where id = 2")
    assert table_digests(query, relations) != before
    connection.execute("insert into dim values (3, null)")
    assert table_digests(query, relations)["dim"].startswith("3:")


def test_a_build_whose_graph_changed_under_its_plan_builds_all_of_the_selection(
    graph: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings.resolve(lake=tmp_path / "lake", warehouse=tmp_path / "w.duckdb", target="local")
    with duckdb.connect(str(settings.warehouse)) as warehouse:
        warehouse.execute("create schema core; create table core.dim_customers as select 1 as customer_sk")
    args = ["build", "--select", "source:web.events+"]
    calls: list[list[str]] = []

    def dbt(_settings: Settings, given: list[str]) -> DbtResult:
        calls.append(given)
        if changed_project:  # the project dbt parsed now has a model below dim_customers
            manifest = json.loads((graph / "manifest.json").read_text("utf-8"))
            manifest["child_map"]["model.c360.dim_customers"].append("model.c360.fct_returns")
            manifest["child_map"]["model.c360.fct_returns"] = []
            manifest["nodes"]["model.c360.fct_returns"] = {"name": "fct_returns", "resource_type": "model"}
            (graph / "manifest.json").write_text(json.dumps(manifest), "utf-8")
        return DbtResult(given, 0, {"success": 1})

    monkeypatch.setattr(build, "run_dbt", dbt)
    plan = stop_plan(args)
    assert plan is not None
    said: list[str] = []
    changed_project = False
    assert build._build_selected(settings, args, said.append).ok
    assert calls == [plan.first_args(args)] and "unchanged" in said[-1]

    calls.clear()
    changed_project = True
    result = build._build_selected(settings, args, said.append)
    assert calls == [plan.first_args(args), args]  # then the selection as dbt reads it
    assert "graph changed" in said[-1] and result.statuses == {"success": 2}
