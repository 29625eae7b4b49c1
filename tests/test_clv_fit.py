"""The CLV models fitted on the warehouse: predictions, the tables dbt reads, and what thin
or odd data gives (nulls with a reason, never a traceback or an absurd number)."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from c360 import clv_model
from c360.cli import app
from c360.settings import Settings
from c360.warehouse import clv_fit
from c360.warehouse.build import build_predictions
from c360.warehouse.publish import PublishError, publish_warehouse
from tests.conftest import Built, copy_of_built
from tests.test_clv_model import cdnow  # noqa: F401  (the CDNOW fixture)

AS_OF = date(2025, 6, 30)


def _warehouse(tmp_path: Path, rows: list[tuple[str, int, int, int, float]]) -> Settings:
    """A DuckDB warehouse holding only the fit's inputs: (customer, x, t_x, T, m) rows."""
    settings = Settings.resolve(
        lake=tmp_path / "lake",
        warehouse=tmp_path / "c360.duckdb",
        published=tmp_path / "published.duckdb",
        target="local",
    )
    with duckdb.connect(str(settings.warehouse)) as connection:
        connection.execute("create schema intermediate")
        connection.execute(
            "create table intermediate.int_customer_orders_summarized (customer_id varchar,"
            " frequency integer, recency_days integer, tenure_days integer,"
            " repeat_day_net_revenue decimal(18, 2), as_of_date date)"
        )
        if rows:
            connection.executemany(
                "insert into intermediate.int_customer_orders_summarized values (?, ?, ?, ?, ?, ?)",
                [(*row, AS_OF) for row in rows],
            )
    return settings


def _tables(settings: Settings) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        found = []
        for table in (clv_fit.PARAMETERS_TABLE, clv_fit.PREDICTIONS_TABLE):
            cursor = connection.execute(f"select * from intermediate.{table} order by all")
            columns = [column[0] for column in cursor.description]
            found.append([dict(zip(columns, row, strict=True)) for row in cursor.fetchall()])
    return found[0], found[1]


def _customers(count: int, seed: int = 7) -> list[tuple[str, int, int, int, float]]:
    """Customers drawn from the BG/NBD story itself (r 0.8, alpha 40 days, a 0.8, b 2.5):
    each buys at their own rate while alive and may leave after each purchase; ages from a
    month to two years; spend from a gamma distribution per customer."""
    random = np.random.default_rng(seed)
    rows = []
    for number in range(count):
        tenure = int(random.integers(30, 720))
        rate, leaves = random.gamma(0.8, 1 / 40), random.beta(0.8, 2.5)
        moment, purchases, last = 0.0, 0, 0.0
        while True:
            moment += random.exponential(1 / rate)
            if moment > tenure:
                break
            purchases, last = purchases + 1, moment
            if random.random() < leaves:
                break
        value = round(float(random.gamma(4.0, random.gamma(6.0, 5.0))), 2) if purchases else 0.0
        rows.append((f"C{number:05d}", purchases, int(last), tenure, value))
    return rows


def test_the_fit_writes_parameters_and_a_prediction_per_customer(tmp_path: Path) -> None:
    rows = _customers(2000)
    settings = _warehouse(tmp_path, rows)
    predictions, seconds = clv_fit.fit_warehouse(settings, {})
    parameters, predicted = _tables(settings)
    assert predictions.note is None and seconds >= 0
    assert [(row["model"], row["parameter"]) for row in parameters] == sorted(
        (model, name) for model, names in clv_model.PARAMETERS.items() for name in names
    )
    assert all(row["value"] > 0 and row["reason"] is None for row in parameters)
    assert {row["as_of_date"] for row in parameters} == {AS_OF}
    assert {row["customers"] for row in parameters if row["model"] == "bg_nbd"} == {2000}
    assert {row["customers"] for row in parameters if row["model"] == "gamma_gamma"} == {
        sum(1 for row in rows if row[1] > 0)
    }
    assert len(predicted) == 2000 and {row["customer_id"] for row in predicted} == {row[0] for row in rows}
    for row in predicted:
        assert 0 <= row["probability_alive"] <= 1
        assert 0 <= row["expected_purchases_90d"] <= row["expected_purchases_365d"]
        assert row["expected_order_value"] > 0 and row["predicted_clv_365d"] >= 0
        assert row["prediction_note"] is None
    # Discounting takes something off, never more than the undiscounted value.
    first = predicted[0]
    undiscounted = first["expected_purchases_365d"] * first["expected_order_value"]
    assert 0.85 * undiscounted < first["predicted_clv_365d"] < undiscounted


def test_the_margin_and_discount_vars_scale_the_predicted_value(tmp_path: Path) -> None:
    settings = _warehouse(tmp_path, _customers(800))
    clv_fit.fit_warehouse(settings, {"c360_clv_annual_discount_rate": 0})
    _parameters, plain = _tables(settings)
    clv_fit.fit_warehouse(settings, {"c360_clv_annual_discount_rate": 0, "c360_clv_margin_rate": 0.25})
    _parameters, margin = _tables(settings)
    for whole, quarter in zip(plain, margin, strict=True):
        assert whole["predicted_clv_365d"] == pytest.approx(
            whole["expected_purchases_365d"] * whole["expected_order_value"], rel=1e-9
        )
        assert quarter["predicted_clv_365d"] == pytest.approx(0.25 * whole["predicted_clv_365d"], rel=1e-9)


def test_the_discounted_value_agrees_with_the_lifetimes_package(cdnow: pd.DataFrame) -> None:  # noqa: F811
    """lifetimes' customer_lifetime_value sums 12 periods of 30 time units, each discounted at
    a per-period rate: the same as ours over 360 units at the equivalent annual rate."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    x, t_x, big_t, m = cdnow["x"], cdnow["t_x"], cdnow["T"], cdnow["zbar"]
    bg = clv_model.fit_bg_nbd(x, t_x, big_t)
    gg = clv_model.fit_gamma_gamma(x, m)
    assert bg.parameters is not None and gg.parameters is not None
    reference_bg, reference_gg = BetaGeoFitter(), GammaGammaFitter()
    reference_bg.params_, reference_gg.params_ = pd.Series(bg.parameters), pd.Series(gg.parameters)
    # fit() would set predict; the parameters are given here instead.
    reference_bg.predict = reference_bg.conditional_expected_number_of_purchases_up_to_time
    repeat = cdnow[cdnow["x"] > 0]
    expected = reference_gg.customer_lifetime_value(
        reference_bg, repeat["x"], repeat["t_x"], repeat["T"], repeat["zbar"], time=12, discount_rate=0.01
    )
    purchases = clv_fit.discounted_purchases(
        bg.parameters,
        repeat["x"].to_numpy(float),
        repeat["t_x"].to_numpy(float),
        repeat["T"].to_numpy(float),
        annual_rate=1.01 ** (365 / 30) - 1,
        days=360,
    )
    value = clv_model.expected_order_value(gg.parameters, repeat["x"], repeat["zbar"], 0.0)
    np.testing.assert_allclose(purchases * value, expected.to_numpy(), rtol=1e-9)


@pytest.mark.parametrize(
    ("rows", "expected_reason"),
    [
        ([], "no customer with a purchase"),
        ([("C1", 3, 40, 90, 25.0)], "too few repeat customers to fit (1 < 10"),
        ([(f"C{n}", 0, 0, 30 + n, 0.0) for n in range(500)], "too few repeat customers to fit (0 < 10"),
    ],
    ids=["no customer (as_of_date before any order)", "one customer", "all bought once"],
)
def test_data_too_thin_leaves_every_prediction_null_with_the_reason(
    tmp_path: Path, rows: list[tuple[str, int, int, int, float]], expected_reason: str
) -> None:
    settings = _warehouse(tmp_path, rows)
    predictions, _seconds = clv_fit.fit_warehouse(settings, {})
    parameters, predicted = _tables(settings)
    assert len(parameters) == 7
    assert all(row["value"] is None and expected_reason in row["reason"] for row in parameters)
    assert len(predicted) == len(rows)
    for row in predicted:
        assert row["probability_alive"] is None and row["predicted_clv_365d"] is None
        note = row["prediction_note"]
        assert note.startswith("bg_nbd not fitted") and expected_reason in note
    assert predictions.note is not None and "gamma_gamma not fitted" in predictions.note


def test_a_spend_model_that_cannot_be_fitted_keeps_the_purchase_predictions(tmp_path: Path) -> None:
    """Every repeat customer spending exactly alike: the Gamma-Gamma likelihood grows without
    end towards a degenerate model, the fit is refused, and only value is left null."""
    rows = [(customer, x, t_x, big_t, 50.0 if x else 0.0) for customer, x, t_x, big_t, _m in _customers(1500)]
    settings = _warehouse(tmp_path, rows)
    clv_fit.fit_warehouse(settings, {})
    parameters, predicted = _tables(settings)
    gamma = [row for row in parameters if row["model"] == "gamma_gamma"]
    assert all(row["value"] is None and "did not converge" in row["reason"] for row in gamma)
    assert all(row["value"] > 0 for row in parameters if row["model"] == "bg_nbd")
    for row in predicted:
        assert 0 <= row["probability_alive"] <= 1 and row["expected_purchases_365d"] >= 0
        assert row["expected_order_value"] is None and row["predicted_clv_365d"] is None
        assert row["prediction_note"].startswith("gamma_gamma not fitted: the fit did not converge")


def test_a_repeat_purchase_worth_nothing_is_left_out_of_the_spend_fit(tmp_path: Path) -> None:
    """The spend model needs a positive mean repeat value: a customer whose repeat purchases
    are worth 0 is not fitted on, and is valued at the shop's mean, not at 0 or NaN."""
    rows = [*_customers(1000), ("Z-ZERO", 4, 100, 300, 0.0)]
    settings = _warehouse(tmp_path, rows)
    predictions, _seconds = clv_fit.fit_warehouse(settings, {})
    _parameters, predicted = _tables(settings)
    assert predictions.gamma_gamma.customers == sum(1 for row in rows if row[1] > 0 and row[4] > 0)
    assert predictions.gamma_gamma.parameters is not None
    mean = clv_model.population_order_value(predictions.gamma_gamma.parameters)
    [zero] = [row for row in predicted if row["customer_id"] == "Z-ZERO"]
    assert mean is not None and zero["expected_order_value"] == pytest.approx(mean)
    assert math.isfinite(zero["predicted_clv_365d"]) and zero["predicted_clv_365d"] > 0


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"c360_clv_margin_rate": 1.5}, "var c360_clv_margin_rate must be from 0 to 1; got 1.5"),
        ({"c360_clv_margin_rate": "high"}, "var c360_clv_margin_rate must be a number; got 'high'"),
        ({"c360_clv_annual_discount_rate": -0.1}, "var c360_clv_annual_discount_rate must be from 0 to 10"),
        ({"c360_clv_min_repeat_customers": 0}, "var c360_clv_min_repeat_customers must be at least 1"),
        ({"c360_clv_min_repeat_customers": 2.5}, "var c360_clv_min_repeat_customers must be a whole number"),
    ],
)
def test_a_fit_var_out_of_range_is_one_line(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        clv_fit.check_vars(given)


@pytest.mark.dbt
@pytest.mark.xdist_group("built")
def test_the_built_marts_carry_the_fit_of_their_own_inputs(built: Built) -> None:
    """On the sample: both models fitted; customer_lifetime_value's predictions are the
    fit's, to their rounding; churn_probability is 1 - P(alive); customer_360 carries them."""
    predictions = clv_fit.predict(clv_fit.read_inputs(built.settings), clv_fit.FitSettings())
    assert predictions.note is None
    with duckdb.connect(str(built.settings.published), read_only=True) as connection:
        parameters = connection.execute(
            "select model, parameter, value, reason from analytics.clv_model_parameters"
        ).fetchall()
        lifetime = connection.execute(
            "select customer_id, probability_alive, expected_purchases_90d, expected_purchases_365d,"
            " expected_order_value, predicted_clv_365d, prediction_note"
            " from analytics.customer_lifetime_value order by customer_id"
        ).fetchall()
        churn_sql = "select customer_id, churn_probability from analytics.churn_risk"
        churn = dict(connection.execute(churn_sql).fetchall())
        profiles = dict(
            connection.execute(
                "select customer_id, predicted_clv_365d from customer.customer_360 where orders > 0"
            ).fetchall()
        )
    assert len(parameters) == 7 and all(value > 0 and reason is None for _m, _p, value, reason in parameters)
    assert predictions.bg_nbd.parameters is not None
    for model, name, value, _reason in parameters:
        fitted = (predictions.bg_nbd if model == "bg_nbd" else predictions.gamma_gamma).parameters
        assert fitted is not None and float(value) == pytest.approx(fitted[name], abs=1e-6)
    assert [row[0] for row in lifetime] == predictions.inputs.customer_ids
    expected_rows = predictions.prediction_rows()
    for row, fitted_row in zip(lifetime, expected_rows, strict=True):
        for found, computed, places in zip(row[1:6], fitted_row[1:6], (4, 4, 4, 2, 2), strict=True):
            assert float(found) == pytest.approx(computed, abs=0.6 * 10**-places), row[0]
        assert row[6] is None
        assert float(churn[row[0]]) == pytest.approx(1 - float(row[1]), abs=1e-4)
        assert profiles[row[0]] == row[5]


@pytest.mark.dbt
@pytest.mark.xdist_group("built")
def test_an_absurd_fit_fails_the_build_and_never_reaches_the_app(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault put into the model (P(alive) above 1) is caught by the marts' tests in the
    fit's part of the build: the build is recorded failed and cannot be published."""
    settings = copy_of_built(built, tmp_path)
    published = settings.published.read_bytes()

    def absurd(params: dict[str, float], x: Any, t_x: Any, big_t: Any) -> Any:
        return np.full(np.asarray(x).shape, 1.5)

    monkeypatch.setattr(clv_model, "probability_alive", absurd)
    predicted = build_predictions(settings, say=lambda _m: None)
    assert not predicted.result.ok
    assert "accepted_range_customer_lifetime_value_probability_alive" in predicted.result.describe_failure()
    with pytest.raises(PublishError):
        publish_warehouse(settings)
    assert settings.published.read_bytes() == published


@pytest.mark.dbt
@pytest.mark.xdist_group("built")
def test_validate_backtests_the_models_and_keeps_the_backtest_for_the_app(
    built: Built, tmp_path: Path
) -> None:
    """`c360 clv validate` on the sample: a build as of the calibration end, compared with the
    purchases after it; the backtest is published for the churn page."""
    settings = copy_of_built(built, tmp_path)
    common = [
        "--lake",
        settings.lake,
        "--warehouse",
        str(settings.warehouse),
        "--published",
        str(settings.published),
    ]
    runner = CliRunner()
    result = runner.invoke(app, ["clv", "validate", "--holdout-days", "120", "--json", *common])
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        [(last_day,)] = connection.execute(
            "select max(order_date) from intermediate.int_purchases_valued"
        ).fetchall()
        [(actual,)] = connection.execute(
            "select count(distinct customer_id || cast(order_date as varchar))"
            " from intermediate.int_purchases_valued where order_date > ? and order_date <= ?",
            [last_day - timedelta(days=120), last_day],
        ).fetchall()
    assert found["calibration_end"] == (last_day - timedelta(days=120)).isoformat()
    assert found["parameters"] and found["reason"] is None
    groups = [row["repeat_purchase_days"] for row in found["by_frequency"]]
    assert groups[0] == "0" and set(groups) <= {"0", "1", "2", "3", "4", "5", "6", "7+"}
    assert sum(row["customers"] for row in found["by_frequency"]) == found["customers"] > 50
    # Actual purchases are every purchase day in the holdout of a customer known by then.
    assert 0 < found["actual_total"] <= actual
    assert found["predicted_total"] == pytest.approx(found["actual_total"], rel=0.35)
    measures = {row["measure"]: row for row in found["churn"]}
    assert set(measures) == {"churn_score", "churn_probability", "no_purchase_probability_90d"}
    assert all(0 <= row["auc"] <= 1 and row["top_decile_lift"] > 0 for row in measures.values())
    assert measures["no_purchase_probability_90d"]["auc"] > 0.6
    with duckdb.connect(str(settings.published), read_only=True) as connection:
        kept = dict(connection.execute("select measure, auc from ops.clv_backtest").fetchall())
    assert kept == pytest.approx({name: row["auc"] for name, row in measures.items()})

    # Bad requests are one line each, before anything is built.
    for extra, message in [
        (["--calibration-end", "soon"], "--calibration-end must be a date, YYYY-MM-DD; got 'soon'"),
        (["--calibration-end", last_day.isoformat()], f"the purchases end on {last_day}"),
        (["--holdout-days", "0"], "--holdout-days must be at least 1; got 0"),
    ]:
        failed = runner.invoke(app, ["clv", "validate", *extra, *common])
        assert failed.exit_code == 1 and message in failed.stderr, failed.stderr
        assert len(failed.stderr.strip().splitlines()) == 1
