from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from c360.settings import PROJECT_ROOT
from tests.conftest import Built

pytestmark = [pytest.mark.app, pytest.mark.xdist_group("built")]
PAGE = str(PROJECT_ROOT / "app" / "streamlit_app.py")


def test_page_shows_the_published_numbers(
    built: Built, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("C360_PUBLISHED", str(built.settings.published))
    with duckdb.connect(str(built.settings.published), read_only=True) as connection:
        net, orders, months = connection.execute(
            "select sum(net_revenue), sum(orders), count(*) from analytics.monthly_revenue"
        ).fetchone()
    page = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not page.exception
    metrics = {metric.label: metric.value for metric in page.metric}
    assert metrics["Net revenue"] == f"{float(net):,.2f}"
    assert metrics["Orders"] == f"{orders:,.0f}"
    assert metrics["Months"] == f"{months:,.0f}"
    assert len(page.dataframe[0].value) == months
    logged = capfd.readouterr()
    assert "deprecated" not in (logged.out + logged.err).lower(), "Streamlit logged a deprecation"


def test_page_explains_when_nothing_is_published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C360_PUBLISHED", str(tmp_path / "missing.duckdb"))
    page = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not page.exception
    assert "nothing published yet" in page.error[0].value


def test_the_app_renders_while_dbt_holds_the_warehouse(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB refuses a second, read-only open of a file this process holds for writing:
    the page only renders if it reads the published copy and never dbt's file."""
    monkeypatch.setenv("C360_PUBLISHED", str(built.settings.published))
    with duckdb.connect(str(built.settings.warehouse)) as writer:
        writer.execute("select 1")
        page = AppTest.from_file(PAGE, default_timeout=60).run()
        assert not page.exception
        assert page.metric and not page.error
