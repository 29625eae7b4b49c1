"""Which build needs the fit step: read from dbt's graph, and wrong only on the side of caution."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from c360.warehouse import clv_fit
from c360.warehouse.build import selection_reaches_fit

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
