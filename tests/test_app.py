"""The Streamlit app: every page renders on the published warehouse and shows its numbers."""

from __future__ import annotations

import ast
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from app import queries, vocabulary
from app.main import PAGE_LIST
from app.warehouse import Query, Warehouse
from c360.settings import PROJECT_ROOT, Settings
from c360.warehouse import clv_validate
from c360.warehouse.access import replace_tables
from tests.conftest import Built
from tests.redshift_rules import parse_errors as redshift_parse_errors

pytestmark = [pytest.mark.app, pytest.mark.xdist_group("built")]
ENTRY = str(PROJECT_ROOT / "streamlit_app.py")
PAGES_DIR = PROJECT_ROOT / "app" / "pages"
EXPOSURES = PROJECT_ROOT / "dbt" / "models" / "marts" / "_app__exposures.yml"


def _sql(path: Path, sql: str, *params: Any) -> Any:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchone()


def _page(name: str, published: Path, monkeypatch: pytest.MonkeyPatch, **query_params: str) -> AppTest:
    monkeypatch.setenv("C360_TARGET", "local")
    monkeypatch.setenv("C360_PUBLISHED", str(published))
    app = AppTest.from_file(ENTRY, default_timeout=60)
    for key, value in query_params.items():
        app.query_params[key] = value
    app.run()
    if name != "overview.py":
        app.switch_page(f"app/pages/{name}")
        app.run()
    return app


def _copy_of_published(built: Built, tmp_path: Path) -> Path:
    """A private copy of the session's published warehouse, for a test that changes it."""
    published = tmp_path / "published.duckdb"
    shutil.copy(built.settings.published, published)
    return published


def _metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def _money(value: Any) -> str:
    return f"${float(value):,.2f}"


def test_the_app_names_tiers_bands_and_segments_as_the_marts_do(built: Built) -> None:
    published = built.settings.published
    [tiers] = _sql(published, "select list(distinct clv_tier) from analytics.customer_lifetime_value")
    [bands] = _sql(published, "select list(distinct churn_band) from analytics.churn_risk")
    [segments] = _sql(published, "select list(distinct segment) from analytics.rfm_segments")
    assert set(tiers) == set(vocabulary.clv_tiers()) and set(bands) == set(vocabulary.churn_bands())
    assert vocabulary.churn_bands()[0] == "high" and vocabulary.clv_tiers()[0] == "platinum"
    assert vocabulary.best_rfm_segment() in segments
    assert f"in ('{vocabulary.clv_tiers()[0]}', '{vocabulary.clv_tiers()[1]}')" in queries.SLIPPING_AWAY.sql


# --- every page, with one number checked against the warehouse -----------------------------


def test_overview_tiles_equal_the_monthly_revenue_mart_over_the_whole_history(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = built.settings.published
    app = _page("overview.py", published, monkeypatch)
    assert not app.exception
    net, orders = _sql(published, "select sum(net_revenue), sum(orders) from analytics.monthly_revenue")
    metrics = _metrics(app)
    assert metrics["Net revenue"] == _money(net)
    assert metrics["Orders"] == f"{int(orders):,}"
    (customers,) = _sql(
        published, "select count(distinct customer_id) from core.fct_order_lines where not is_cancelled"
    )
    assert metrics["Customers"] == f"{customers:,}"
    assert len(app.dataframe[0].value) == _sql(published, "select count(*) from analytics.monthly_revenue")[0]


def test_filters_from_the_url_reach_the_queries_and_change_the_numbers(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = built.settings.published
    app = _page(
        "overview.py", published, monkeypatch, country="DE", **{"from": "2025-01-01", "to": "2025-03-31"}
    )
    assert not app.exception
    # Sales booked on their order day, returns on their return day, as in monthly_revenue.
    (net,) = _sql(
        published,
        "select coalesce(sum(case when not is_cancelled and order_date between $1 and $2"
        "    then line_amount end), 0)"
        " - coalesce(sum(case when cast(returned_at as date) between $1 and $2"
        "    then line_amount end), 0)"
        " from core.fct_order_lines where country_code = 'DE'",
        date(2025, 1, 1),
        date(2025, 3, 31),
    )
    assert _metrics(app)["Net revenue"] == _money(net)
    assert app.sidebar.selectbox[0].value == "DE"


def test_a_filter_chosen_on_one_page_applies_on_the_next(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = built.settings.published
    app = _page("overview.py", published, monkeypatch)
    app.selectbox(key="filter_country").set_value("DE").run()
    assert app.query_params["country"] in ("DE", ["DE"])
    app.switch_page("app/pages/clv.py").run()
    assert not app.exception
    (customers,) = _sql(
        published,
        "select count(*) from analytics.customer_lifetime_value as v"
        " join customer.customer_360 as c using (customer_id) where c.country_code = 'DE'",
    )
    assert _metrics(app)["Customers with a purchase"] == f"{customers:,}"


PAGE_CHECKS: dict[str, tuple[str, str]] = {
    # page file: (metric label, SQL giving its value on the published warehouse, whole history)
    "clv.py": ("Customers with a purchase", "select count(*) from analytics.customer_lifetime_value"),
    "rfm.py": ("Customers scored", "select count(*) from analytics.rfm_segments"),
    "cohorts.py": ("Cohorts", "select count(distinct cohort_month) from analytics.cohort_retention"),
    "churn.py": ("High risk", "select count(*) from analytics.churn_risk where churn_band = 'high'"),
    "products.py": (
        "Stars",
        "select count(*) from analytics.product_performance where quadrant = 'star' and not is_inferred",
    ),
    "geography.py": (
        "Countries with orders",
        "select count(distinct country_code) from analytics.geo_revenue where orders > 0 or net_revenue <> 0",
    ),
    "pipeline_health.py": ("Runs in the ledger", "select least(count(*), 50) from ops.run_ledger"),
}


@pytest.mark.parametrize("page", sorted(PAGE_CHECKS))
def test_each_page_renders_and_shows_the_number_the_mart_holds(
    page: str, built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = built.settings.published
    app = _page(page, published, monkeypatch)
    assert not app.exception, app.exception
    label, sql = PAGE_CHECKS[page]
    (expected,) = _sql(published, sql)
    assert _metrics(app)[label] == f"{int(expected):,}"
    assert app.caption and any("How to read this" in caption.value for caption in app.caption)


def test_the_funnel_page_shows_both_views_of_the_chosen_channel_each_defined(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = built.settings.published
    app = _page("funnel.py", published, monkeypatch)
    assert not app.exception
    for view, unit, label in (
        ("journey", "People", "Journeys (people)"),
        ("in_session", "Sessions", "In one session"),
    ):
        app.radio(key="funnel_view").set_value(view).run()
        assert not app.exception
        channel, source = app.selectbox(key="funnel_traffic").value.split(" / ")
        visits, purchases = (
            _sql(
                published,
                "select reached from analytics.channel_funnel"
                " where funnel = ? and channel = ? and utm_source = ? and step = ?",
                view,
                channel,
                source,
                step,
            )[0]
            for step in ("visit", "purchase")
        )
        metrics = _metrics(app)
        assert metrics[f"{unit} with a visit"] == f"{visits:,}"
        assert metrics[f"{unit} reaching purchase"] == f"{purchases:,}"
        assert any(caption.value.startswith(f"**{label}.**") for caption in app.caption)


def test_text_from_the_data_is_shown_as_typed_and_a_score_as_a_score(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = _copy_of_published(built, tmp_path)
    with duckdb.connect(str(published)) as connection:
        customer_id, score = connection.execute(
            "select customer_id, churn_score from customer.customer_360"
            " where churn_score is not null order by customer_id limit 1"
        ).fetchone()
        connection.execute(
            "update customer.customer_360 set first_name = '[Win](https://evil.example)',"
            " last_name = '**Bold**', city = ':red[Red]' where customer_id = ?",
            [customer_id],
        )
    app = _page("customer_360.py", published, monkeypatch, customer=customer_id)
    assert not app.exception
    assert app.subheader[0].value == r"\[Win\]\(https\:\/\/evil\.example\) \*\*Bold\*\*"
    assert any(r"\:red\[Red\]" in caption.value for caption in app.caption)
    churn = next(metric for metric in app.metric if metric.label == "Churn risk")
    assert churn.proto.delta == f"score {score} / 100"


def test_the_partial_month_is_marked_and_the_cohort_tile_reads_complete_months(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sample ends on a month's last day; as of a day before it, that month is partial.
    published = _copy_of_published(built, tmp_path)
    with duckdb.connect(str(published)) as connection:
        connection.execute(
            "update analytics.monthly_revenue set is_partial = true, net_revenue_mom_growth = -0.5"
            " where month_start = (select max(month_start) from analytics.monthly_revenue)"
        )
    overview = _page("overview.py", published, monkeypatch)
    assert not overview.exception
    monthly = overview.dataframe[0].value  # the chart's data, as the table below it shows
    last = monthly["month_start"] == monthly["month_start"].max()
    assert monthly.loc[last, "trend"].tolist() == ["partial month"], "grey and labelled, though it fell"
    assert set(monthly.loc[~last, "trend"]) <= {"grew", "fell", "nothing to compare"}
    (expected,) = _sql(
        published,
        "select retention_rate from analytics.cohort_retention as c"
        " where months_since_first_order = 1 and c.cohort_month + interval 1 month"
        "   < (select month_start from analytics.monthly_revenue where is_partial)"
        " order by cohort_month desc limit 1",
    )
    cohorts = _page("cohorts.py", published, monkeypatch)
    assert not cohorts.exception
    assert _metrics(cohorts)["Month-1 retention, latest complete cohort"] == f"{float(expected):.1%}"


def test_the_demand_page_shows_the_units_of_the_chosen_product(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = built.settings.published
    app = _page("demand.py", published, monkeypatch)
    assert not app.exception
    product = app.selectbox(key="demand_product").value
    (units,) = _sql(
        published, "select sum(units) from analytics.demand_forecast_base where product_id = ?", product
    )
    assert _metrics(app)["Units sold"] == f"{int(units):,}"
    app.radio(key="demand_by").set_value("Category").run()
    assert not app.exception
    category = app.selectbox(key="demand_category").value
    (category_units,) = _sql(
        published,
        "select sum(d.units) from analytics.demand_forecast_base as d"
        " join analytics.product_performance as p using (product_id) where p.category = ?",
        category,
    )
    assert _metrics(app)["Units sold"] == f"{int(category_units):,}"


def test_customer_360_finds_a_customer_by_e_mail_and_shows_their_profile(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = built.settings.published
    customer_id, email, orders = _sql(
        published,
        "select customer_id, email, orders from customer.customer_360"
        " where email is not null and orders > 0 order by customer_id limit 1",
    )
    app = _page("customer_360.py", published, monkeypatch)
    assert not app.exception
    assert any("Type at least part" in info.value for info in app.info)
    app.text_input(key="customer_term").set_value(email.upper()).run()
    assert not app.exception
    assert app.selectbox(key="customer_pick").value == customer_id
    assert _metrics(app)["Orders"] == f"{orders:,}"
    (history,) = _sql(published, "select count(*) from core.fct_orders where customer_id = ?", customer_id)
    assert len(app.dataframe[0].value) == history  # the order history, cancelled orders too
    assert app.query_params["customer"] in (customer_id, [customer_id])
    # The link to this view opens the same customer.
    linked = _page("customer_360.py", published, monkeypatch, customer=customer_id)
    assert linked.selectbox(key="customer_pick").value == customer_id


def test_the_clv_pages_show_the_predictions_and_the_churn_page_the_last_backtest(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = _copy_of_published(built, tmp_path)
    (predicted,) = _sql(published, "select sum(predicted_clv_365d) from analytics.customer_lifetime_value")
    clv = _page("clv.py", published, monkeypatch)
    assert not clv.exception
    assert _metrics(clv)["Predicted, next 365 days"] == _money(predicted)
    (slipping,) = _sql(
        published,
        "select count(*) from analytics.customer_lifetime_value"
        " where clv_tier in ('platinum', 'gold') and probability_alive < 0.5",
    )
    tables = {frame.value.shape[0] for frame in clv.dataframe}
    assert min(slipping, 25) in tables

    customer_id, alive, value = _sql(
        published,
        "select customer_id, probability_alive, predicted_clv_365d from customer.customer_360"
        " where orders > 1 order by customer_id limit 1",
    )
    profile = _page("customer_360.py", published, monkeypatch, customer=customer_id)
    assert not profile.exception
    assert _metrics(profile)["Still a customer, P(alive)"] == f"{float(alive):.1%}"
    assert _metrics(profile)["Predicted value, next 365 days"] == _money(value)

    churn = _page("churn.py", published, monkeypatch)
    assert not churn.exception
    assert any("No backtest yet" in info.value for info in churn.info)
    settings = Settings.resolve(target="local", warehouse=published, published=tmp_path / "unused.duckdb")
    rows = [
        (measure, auc, 1.4, 120, 0.5, 90, date(2025, 6, 30), 182, 100.0, 98.0, "2026-12-04T00:00:00+00:00")
        for measure, auc in (("churn_score", 0.61), ("no_purchase_probability_90d", 0.77))
    ]
    replace_tables(settings, "ops", {"clv_backtest": (clv_validate.BACKTEST_COLUMNS, rows)})
    churn = _page("churn.py", tmp_path / "published.duckdb", monkeypatch)
    assert not churn.exception
    shown = next(frame.value for frame in churn.dataframe if "auc" in frame.value.columns)
    assert dict(zip(shown["measure"], shown["auc"], strict=True)) == {
        "churn_score": 0.61,
        "no_purchase_probability_90d": 0.77,
    }


# --- what the app reads, and how -------------------------------------------------------------


def _queries_used_by(page_file: Path) -> set[str]:
    tree = ast.parse(page_file.read_text("utf-8"))
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "queries"
    }


def test_every_relation_the_app_reads_is_declared_by_its_page_s_exposure() -> None:
    exposures = {item["name"]: item for item in yaml.safe_load(EXPOSURES.read_text("utf-8"))["exposures"]}
    declared_queries = {query.name for group in queries.PAGES.values() for query in group}
    page_files = {name.removesuffix(".py") for name, _title, _icon in PAGE_LIST}
    assert page_files == set(queries.PAGES) - {"filters"}, "one query group per page"
    for page in page_files:
        used = _queries_used_by(PAGES_DIR / f"{page}.py")
        group = {query_name(query) for query in queries.PAGES[page]}
        assert used <= group, f"{page}.py uses queries outside its group: {used - group}"
    for page, group in queries.PAGES.items():
        reads = {relation for query in group for relation in query.reads}
        depends = set()
        for item in exposures[f"c360_app_{page}"]["depends_on"]:
            match = re.fullmatch(r"(ref|source)\((.+)\)", item)
            assert match, item
            names = [part.strip().strip("'\"") for part in match.group(2).split(",")]
            depends.add(names[-1])
        assert {relation.split(".")[1] for relation in reads} == depends, page
    assert len(declared_queries) == sum(len(group) for group in queries.PAGES.values()), (
        "query names are unique"
    )


def query_name(query: Query) -> str:
    return next(name for name, value in vars(queries).items() if value is query)


def test_values_are_bound_never_formatted_into_the_sql(built: Built) -> None:
    local = Warehouse(Settings.resolve(target="local", published=built.settings.published))
    server = Warehouse(Settings.resolve(target="postgres"))
    for group in queries.PAGES.values():
        for query in group:
            assert "{" not in local.sql(query) and "{" not in server.sql(query), query.name
            if ":country" in query.sql:
                assert "$country" in local.sql(query) and "%(country)s" in server.sql(query), query.name
    # A value that would widen the query if it were pasted into the SQL matches nothing.
    params = {"from_date": date(2000, 1, 1), "to_date": date(2100, 1, 1)}
    hostile = local.run(queries.KPIS, {**params, "country": "x' or '1' = '1", "channel": ""})
    assert hostile["orders"].tolist() == [0]
    assert local.run(queries.KPIS, {**params, "country": "", "channel": ""})["orders"].iloc[0] > 0
    with pytest.raises(ValueError, match="no literal %"):
        Query("bad", "select 1 from {core}.fct_orders where channel like 'w%'")


def test_every_query_parses_as_redshift_sql() -> None:
    redshift = Warehouse(Settings.resolve(target="redshift"))
    for group in queries.PAGES.values():
        for query in group:
            sql = re.sub(r"%\((\w+)\)s", "'value'", redshift.sql(query))
            assert redshift_parse_errors(sql) == [], query.name


# --- when there is nothing to show ------------------------------------------------------------


def test_nothing_published_is_a_message_on_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _page("overview.py", tmp_path / "missing.duckdb", monkeypatch)
    assert not app.exception
    assert "nothing published yet" in app.error[0].value


def test_a_missing_mart_is_a_message_and_the_other_pages_still_work(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = _copy_of_published(built, tmp_path)
    with duckdb.connect(str(published)) as connection:
        connection.execute("drop table analytics.cohort_retention")
    app = _page("cohorts.py", published, monkeypatch)
    assert not app.exception
    assert "has no analytics.cohort_retention" in app.warning[0].value
    assert not _page("clv.py", published, monkeypatch).exception


def test_an_unreachable_server_is_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C360_TARGET", "postgres")
    monkeypatch.setenv("C360_PG_HOST", "127.0.0.1")
    monkeypatch.setenv("C360_PG_PORT", "1")
    app = AppTest.from_file(ENTRY, default_timeout=60).run()
    assert not app.exception
    assert "cannot reach PostgreSQL" in app.error[0].value


def test_a_publish_is_picked_up_at_the_next_render(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = _copy_of_published(built, tmp_path)
    before = _metrics(_page("overview.py", published, monkeypatch))["Orders"]
    # A new build, published as publish does: another file renamed over the copy.
    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copy(published, rebuilt)
    with duckdb.connect(str(rebuilt)) as connection:
        connection.execute("delete from core.fct_order_lines where country_code = 'US'")
        (orders,) = connection.execute(
            "select count(distinct order_id) from core.fct_order_lines where not is_cancelled"
        ).fetchone()
    rebuilt.replace(published)
    after = _metrics(_page("overview.py", published, monkeypatch))["Orders"]
    assert after == f"{orders:,}" and after != before


def test_the_app_renders_while_dbt_holds_the_warehouse(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB refuses a second, read-only open of a file this process holds for writing:
    the page only renders if it reads the published copy and never dbt's file."""
    with duckdb.connect(str(built.settings.warehouse)) as writer:
        writer.execute("select 1")
        app = _page("overview.py", built.settings.published, monkeypatch)
        assert not app.exception
        assert app.metric and not app.error
