"""The buy-till-you-die models reproduce the published fits and agree with an independent
implementation; thin or broken inputs give a reason, never a number."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from c360 import clv_model


def _cdnow() -> pd.DataFrame:
    """The 2,357 CDNOW customers of the BG/NBD paper, in weeks (x, t_x, T) with their mean
    repeat purchase value (zbar), as the lifetimes package ships them (read without
    importing lifetimes)."""
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets"
    return pd.read_csv(path / "cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return _cdnow()


@pytest.fixture(scope="module")
def bg_nbd(cdnow: pd.DataFrame) -> clv_model.Fit:
    return clv_model.fit_bg_nbd(cdnow["x"], cdnow["t_x"], cdnow["T"])


def test_bg_nbd_gives_the_parameters_of_the_paper(bg_nbd: clv_model.Fit) -> None:
    """Fader, Hardie and Lee (2005), table 1: r = 0.243, alpha = 4.414, a = 0.793,
    b = 2.426, log-likelihood -9582.4."""
    assert bg_nbd.ok and bg_nbd.customers == 2357
    assert bg_nbd.parameters is not None
    assert {name: round(value, 3) for name, value in bg_nbd.parameters.items()} == {
        "r": 0.243,
        "alpha": 4.414,
        "a": 0.793,
        "b": 2.426,
    }
    assert bg_nbd.log_likelihood is not None and round(bg_nbd.log_likelihood, 1) == -9582.4


def test_gamma_gamma_gives_the_published_parameters(cdnow: pd.DataFrame) -> None:
    """Fader and Hardie's Gamma-Gamma note fits the same customers' mean repeat spend (946
    customers with a repeat purchase) and reports p = 6.25, q = 3.74, v = 15.44; the maximum
    found here is v = 15.448, within the note's rounding."""
    fit = clv_model.fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    assert fit.ok and fit.customers == 946 and fit.parameters is not None
    assert round(fit.parameters["p"], 2) == 6.25 and round(fit.parameters["q"], 2) == 3.74
    assert abs(fit.parameters["v"] - 15.44) < 0.01


def test_predictions_agree_with_the_lifetimes_package_for_every_customer(
    cdnow: pd.DataFrame, bg_nbd: clv_model.Fit
) -> None:
    """An independent implementation of the same formulas (lifetimes 0.11.3), given the
    same parameters, gives the same P(alive), expected purchases and expected value."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    assert bg_nbd.parameters is not None
    reference = BetaGeoFitter()
    reference.params_ = pd.Series(bg_nbd.parameters)
    x, t_x, T = cdnow["x"], cdnow["t_x"], cdnow["T"]  # noqa: N806
    np.testing.assert_allclose(
        clv_model.probability_alive(bg_nbd.parameters, x, t_x, T),
        reference.conditional_probability_alive(x, t_x, T),
        rtol=1e-9,
    )
    for weeks in (13, 52):
        np.testing.assert_allclose(
            clv_model.expected_purchases(bg_nbd.parameters, weeks, x, t_x, T),
            reference.conditional_expected_number_of_purchases_up_to_time(weeks, x, t_x, T),
            rtol=1e-9,
        )
    spend = clv_model.fit_gamma_gamma(x, cdnow["zbar"])
    assert spend.parameters is not None
    spend_reference = GammaGammaFitter()
    spend_reference.params_ = pd.Series(spend.parameters)
    repeat = cdnow[cdnow["x"] > 0]
    np.testing.assert_allclose(
        clv_model.expected_order_value(spend.parameters, repeat["x"], repeat["zbar"], 0.0),
        spend_reference.conditional_expected_average_profit(repeat["x"], repeat["zbar"]),
        rtol=1e-9,
    )


def test_the_paper_s_example_customer(bg_nbd: clv_model.Fit) -> None:
    """Two repeat purchases, the last at week 30.43 of 38.86: 1.226 purchases expected in
    the next 39 weeks, and a 73 % chance of still being a customer."""
    assert bg_nbd.parameters is not None
    (expected,) = clv_model.expected_purchases(bg_nbd.parameters, 39, [2], [30.43], [38.86])
    (alive,) = clv_model.probability_alive(bg_nbd.parameters, [2], [30.43], [38.86])
    assert round(float(expected), 3) == 1.226 and round(float(alive), 2) == 0.73


def test_a_customer_without_a_repeat_purchase_is_alive_and_gets_the_population_value(
    bg_nbd: clv_model.Fit,
) -> None:
    assert bg_nbd.parameters is not None
    assert clv_model.probability_alive(bg_nbd.parameters, [0], [0], [30])[0] == 1.0
    params = {"p": 6.25, "q": 3.74, "v": 15.44}
    population = clv_model.population_order_value(params)
    assert population == pytest.approx(6.25 * 15.44 / 2.74)
    assert clv_model.expected_order_value(params, [0, 3], [0.0, 0.0], population)[0] == population
    assert clv_model.population_order_value({"p": 1.0, "q": 0.9, "v": 1.0}) is None


# --- bad input: a reason, never a number -------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "t_x", "T", "reason"),
    [
        ([], [], [], "no customer with a purchase"),
        ([0], [0], [10], "too few repeat customers to fit (0 < 10"),
        ([0] * 500, [0] * 500, [100] * 500, "too few repeat customers to fit (0 < 10"),
        ([2] * 9 + [0], [5] * 9 + [0], [9] * 10, "too few repeat customers to fit (9 < 10"),
        ([2] * 20, [12] * 20, [9] * 20, "inputs out of range"),
        ([1.5] * 20, [5] * 20, [9] * 20, "inputs out of range"),
    ],
)
def test_bg_nbd_on_thin_or_broken_data_says_why(
    x: list[float],
    t_x: list[float],
    T: list[float],  # noqa: N803
    reason: str,
) -> None:
    fit = clv_model.fit_bg_nbd(x, t_x, T)
    assert not fit.ok and fit.parameters is None and fit.reason is not None and reason in fit.reason


def test_gamma_gamma_leaves_out_repeat_purchases_of_no_value_and_says_when_too_few_remain() -> None:
    # 200 repeat customers drawn from the model itself (p = 4, q = 3, v = 20), and one whose
    # repeat purchases were worth nothing.
    rng = np.random.default_rng(5)
    x = rng.integers(1, 6, size=200)
    nu = rng.gamma(3.0, 1 / 20.0, size=200)
    values = rng.gamma(4.0 * x, 1 / (nu * x))
    fit = clv_model.fit_gamma_gamma([*x, 2], [*values, 0.0])
    assert fit.ok and fit.customers == 200, "the repeat purchase of value 0 is left out"
    thin = clv_model.fit_gamma_gamma([0, 2, 2], [0.0, 0.0, 5.0])
    assert not thin.ok and thin.reason is not None and "(1 < 10" in thin.reason


def test_a_fit_that_runs_away_is_refused() -> None:
    """Every repeat customer spending exactly the same: the likelihood grows without bound
    as the spread goes to zero, so there is no maximum to report."""
    fit = clv_model.fit_gamma_gamma([2] * 50, [25.0] * 50)
    assert not fit.ok and fit.reason is not None and fit.reason.startswith("the fit did not converge")


def test_the_chance_of_no_purchase_agrees_with_the_expected_purchases(
    cdnow: pd.DataFrame, bg_nbd: clv_model.Fit
) -> None:
    """P(no purchase in t) is 1 at t = 0 and falls to P(gone) as t grows; over a moment it is
    1 - E[purchases in that moment] (two purchases in an instant being negligible), which
    ties it to the expectation checked against lifetimes above; and for a customer not yet
    seen (T = 0) it is the paper's P(X(t) = 0) = (alpha / (alpha + t))^r."""
    assert bg_nbd.parameters is not None
    x, t_x, T = cdnow["x"], cdnow["t_x"], cdnow["T"]  # noqa: N806
    params = bg_nbd.parameters
    alive = clv_model.probability_alive(params, x, t_x, T)
    np.testing.assert_allclose(clv_model.probability_no_purchase(params, 0.0, x, t_x, T), 1.0)
    np.testing.assert_allclose(
        clv_model.probability_no_purchase(params, 1e40, x, t_x, T), 1 - alive, atol=1e-6
    )
    moment = 1e-5
    np.testing.assert_allclose(
        1 - clv_model.probability_no_purchase(params, moment, x, t_x, T),
        clv_model.expected_purchases(params, moment, x, t_x, T),
        rtol=1e-3,
        atol=1e-12,  # a customer all but gone: both are at floating point's precision
    )
    weeks = np.array([1.0, 13.0, 52.0])
    expected = (params["alpha"] / (params["alpha"] + weeks)) ** params["r"]
    found = [clv_model.probability_no_purchase(params, week, [0], [0], [0])[0] for week in weeks]
    np.testing.assert_allclose(found, expected, rtol=1e-12)
