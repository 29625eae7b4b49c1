"""Every lake builds: shop exports without clickstream, clickstream without shop exports.

A raw table with no files is a freshness warning and builds empty; a failure names the
source or model and its first error line.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from app.main import PAGE_LIST
from c360.pipeline import runner
from c360.settings import PROJECT_ROOT, Settings
from c360.warehouse.dbt import BuildFailedError
from loaders.lake.layout import events_key
from loaders.lake.storage import open_lake

pytestmark = pytest.mark.dbt


def _settings(root: Path) -> Settings:
    return Settings.resolve(
        lake=root / "lake",
        warehouse=root / "c360.duckdb",
        published=root / "published.duckdb",
        target="local",
    )


def _inbox(sample_dir: Path, root: Path, names: list[str]) -> Path:
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    for name in names:
        (inbox / name).symlink_to(sample_dir / name)
    return inbox


def _app_messages(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Every page of the app rendered on the published copy: no exception, and its messages."""
    monkeypatch.setenv("C360_TARGET", "local")
    monkeypatch.setenv("C360_PUBLISHED", str(settings.published))
    said = {}
    for name, _title, _icon in PAGE_LIST:
        app = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=60).run()
        app.switch_page(f"app/pages/{name}").run()
        assert not app.exception, f"{name}: {app.exception[0].value}"
        assert not app.error, f"{name}: {app.error[0].value}"
        said[name] = [element.value for element in [*app.info, *app.warning]]
    return said


def _rows(settings: Settings, table: str) -> int:
    with duckdb.connect(str(settings.published), read_only=True) as connection:
        [(count,)] = connection.execute(f"select count(*) from {table}").fetchall()
    return int(count)


def test_shop_exports_without_clickstream_build_and_publish(
    sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path)
    messages: list[str] = []
    inbox = _inbox(sample_dir, tmp_path, ["customers.csv", "products.csv", "transactions.csv"])
    report = runner.run(settings, input_dir=inbox, say=messages.append)
    assert report.published == settings.published
    assert report.freshness == {"pass": 3, "warn": 1}
    assert "warning: source web.events has no files in the lake yet; its models are empty" in messages
    assert _rows(settings, "core.fct_events") == _rows(settings, "core.fct_sessions") == 0
    assert _rows(settings, "core.fct_order_lines") > 0 and _rows(settings, "core.dim_dates") > 0
    # The marts build; what comes from the web is empty, zero or null.
    assert _rows(settings, "analytics.channel_funnel") == 0
    assert _rows(settings, "analytics.monthly_revenue") > 0
    assert _rows(settings, "analytics.product_performance where product_views > 0") == 0
    assert _rows(settings, "analytics.product_performance where view_to_purchase_rate is not null") == 0
    assert _rows(settings, "analytics.product_performance where units_sold > 0") > 0
    assert _rows(settings, "analytics.churn_risk where engagement_trend != 'none'") == 0
    assert _rows(settings, "customer.customer_360 where sessions > 0 or stitched_devices > 0") == 0
    assert _rows(settings, "customer.customer_360 where orders > 0") > 0
    # The app: every page renders; the funnel says why it is empty.
    said = _app_messages(settings, monkeypatch)
    assert any("No clickstream yet" in message for message in said["funnel.py"])


def test_clickstream_without_shop_exports_builds_and_publishes(
    sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path)
    report = runner.run(
        settings, input_dir=_inbox(sample_dir, tmp_path, ["events.jsonl.gz"]), say=lambda _m: None
    )
    assert report.published == settings.published
    assert report.freshness == {"pass": 1, "warn": 3}
    assert _rows(settings, "core.fct_order_lines") == 0
    assert _rows(settings, "core.fct_sessions") > 0 and _rows(settings, "core.dim_dates") > 0
    # Customers and products the events name exist as inferred members until exports land.
    assert _rows(settings, "core.dim_products where not is_inferred") == 0
    assert _rows(settings, "core.dim_products where is_inferred") > 0
    # No purchases: the revenue marts are empty, the web marts are not.
    for mart in (
        "monthly_revenue",
        "customer_lifetime_value",
        "cohort_retention",
        "rfm_segments",
        "churn_risk",
    ):
        assert _rows(settings, f"analytics.{mart}") == 0, mart
    assert _rows(settings, "analytics.channel_funnel") > 0
    assert _rows(settings, "analytics.product_performance where product_views > 0") > 0
    assert _rows(settings, "analytics.product_performance where units_sold > 0") == 0
    assert _rows(settings, "customer.customer_360 where orders > 0") == 0
    # The app: every page renders; the revenue pages say there is nothing to show yet.
    said = _app_messages(settings, monkeypatch)
    for page in ("clv.py", "rfm.py", "churn.py"):
        assert any("No customer has a purchase yet" in message for message in said[page]), page


def test_a_raw_file_no_reader_can_open_fails_the_build_naming_the_model_and_its_first_error_line(
    sample_dir: Path, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    lake = open_lake(settings.lake)
    # Written past c360 land (which would have refused it): a file no reader can open.
    lake.put_bytes(events_key("2025-12-01", "10", "shard", "1", "1"), b"this is not gzip")
    with pytest.raises(BuildFailedError) as error:
        runner.run(settings, input_dir=_inbox(sample_dir, tmp_path, ["products.csv"]), say=lambda _m: None)
    message = str(error.value)
    assert message.startswith("the build failed: ") and "landed_web__events" in message
    assert "\n" not in message and "published copy was left as it was" in message
