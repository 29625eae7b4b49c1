"""The CLV models fitted on the warehouse at every build, between its two dbt builds.

dbt cannot fit a model by maximum likelihood on PostgreSQL or Redshift (they run no
Python), so a build runs in two parts (``c360.warehouse.build``): dbt builds every model that does
not need the fit; this module reads the buy-till-you-die inputs the first part made
(``int_customer_orders_summarized``: one row per purchasing customer), fits BG/NBD and
Gamma-Gamma (``c360.clv_model``), predicts each customer's P(alive), expected purchases,
order value and 365-day value, and writes two tables dbt reads as source ``clv_fit``; dbt
then builds what reads them (``customer_lifetime_value``, ``churn_risk``,
``clv_model_parameters`` and their children) and tests them, all inside the audit copy.

Data too thin to fit, or a fit that does not converge, is not an error: the parameters
are null with the reason, and so are the predictions, with a note. A var out of range
is one line before anything is built (``check_vars``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from c360 import clv_model
from c360.clv_model import BG_NBD, GAMMA_GAMMA, PARAMETERS, Array, Fit
from c360.settings import Settings
from c360.warehouse.access import replace_tables, warehouse_reader

SOURCE = "clv_fit"  # the dbt source the two tables are; its schema is intermediate
PARAMETERS_TABLE = "clv_fit_parameters"
PREDICTIONS_TABLE = "clv_fit_predictions"
INPUTS = "int_customer_orders_summarized"
HORIZONS_DAYS = (90, 365)
MONTHS = 12  # predicted_clv_365d discounts each month's expected purchases
QUIET_DAYS = 90  # no_purchase_probability_90d: no purchase in this many days

PARAMETER_COLUMNS = (
    ("model", "text"),
    ("parameter", "text"),
    ("value", "double precision"),
    ("customers", "integer"),
    ("log_likelihood", "double precision"),
    ("reason", "text"),
    ("as_of_date", "date"),
)
PREDICTION_COLUMNS = (
    ("customer_id", "text"),
    ("probability_alive", "double precision"),
    ("expected_purchases_90d", "double precision"),
    ("expected_purchases_365d", "double precision"),
    ("expected_order_value", "double precision"),
    ("predicted_clv_365d", "double precision"),
    ("no_purchase_probability_90d", "double precision"),
    ("prediction_note", "text"),
)


@dataclass(frozen=True)
class FitSettings:
    """The vars of the fit (dbt_project.yml documents them)."""

    min_repeat_customers: int = clv_model.DEFAULT_MIN_REPEAT_CUSTOMERS
    margin_rate: float = 1.0
    annual_discount_rate: float = 0.1


def check_vars(found: dict[str, Any]) -> FitSettings:
    """The fit's settings from dbt vars; a value out of range raises ValueError in one line."""

    def number(name: str, default: float, low: float, high: float | None = None) -> float:
        value = found.get(name)
        if value is None:
            return default
        try:
            parsed = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"var {name} must be a number; got {value!r}") from None
        if not (parsed >= low and (high is None or parsed <= high)):
            within = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
            raise ValueError(f"var {name} must be {within}; got {value!r}")
        return parsed

    minimum = number("c360_clv_min_repeat_customers", clv_model.DEFAULT_MIN_REPEAT_CUSTOMERS, 1)
    if minimum != int(minimum):
        raise ValueError(f"var c360_clv_min_repeat_customers must be a whole number; got {minimum:g}")
    return FitSettings(
        min_repeat_customers=int(minimum),
        margin_rate=number("c360_clv_margin_rate", 1.0, 0, 1),
        annual_discount_rate=number("c360_clv_annual_discount_rate", 0.1, 0, 10),
    )


@dataclass(frozen=True)
class Inputs:
    """One row per purchasing customer, in customer_id order (so every target fits alike)."""

    customer_ids: list[str]
    frequency: Array
    recency: Array
    tenure: Array
    monetary: Array
    as_of_date: date | None


@dataclass(frozen=True)
class Predictions:
    """The fits and, per customer, the predictions (None where a model was not fitted)."""

    inputs: Inputs
    bg_nbd: Fit
    gamma_gamma: Fit
    probability_alive: Array | None
    expected_purchases: dict[int, Array]  # horizon in days -> per customer
    expected_order_value: Array | None
    predicted_clv: Array | None
    no_purchase_90d: Array | None
    note: str | None  # why predictions are missing, for every customer alike

    def parameter_rows(self) -> list[tuple[Any, ...]]:
        rows = []
        for fit in (self.bg_nbd, self.gamma_gamma):
            for name in PARAMETERS[fit.model]:
                value = fit.parameters[name] if fit.parameters is not None else None
                rows.append(
                    (
                        fit.model,
                        name,
                        value,
                        fit.customers,
                        fit.log_likelihood,
                        fit.reason,
                        self.inputs.as_of_date,
                    )
                )
        return rows

    def prediction_rows(self) -> list[tuple[Any, ...]]:
        def at(values: Array | None, row: int) -> float | None:
            if values is None or not np.isfinite(values[row]):
                return None
            return float(values[row])

        ninety, year = (self.expected_purchases.get(days) for days in HORIZONS_DAYS)
        return [
            (
                customer_id,
                at(self.probability_alive, row),
                at(ninety, row),
                at(year, row),
                at(self.expected_order_value, row),
                at(self.predicted_clv, row),
                at(self.no_purchase_90d, row),
                self.note,
            )
            for row, customer_id in enumerate(self.inputs.customer_ids)
        ]


def discounted_purchases(
    params: dict[str, float],
    frequency: Array,
    recency: Array,
    tenure: Array,
    annual_rate: float,
    days: float = 365.0,
    periods: int = MONTHS,
) -> Array:
    """Expected purchases over the next ``days``, each period's discounted to today at
    ``annual_rate``: the sum over periods k of (E[X(k d / n)] - E[X((k-1) d / n)]) /
    (1 + rate)^(k d / n / 365)."""
    total = np.zeros_like(frequency)
    before = np.zeros_like(frequency)
    for period in range(1, periods + 1):
        horizon = days * period / periods
        upto = clv_model.expected_purchases(params, horizon, frequency, recency, tenure)
        total += (upto - before) / (1.0 + annual_rate) ** (horizon / 365.0)
        before = upto
    return total


def predict(inputs: Inputs, settings: FitSettings) -> Predictions:
    """Fit both models on the inputs and predict every customer."""
    x, t_x, big_t, m = inputs.frequency, inputs.recency, inputs.tenure, inputs.monetary
    bg = clv_model.fit_bg_nbd(x, t_x, big_t, min_repeat_customers=settings.min_repeat_customers)
    gg = clv_model.fit_gamma_gamma(x, m, min_repeat_customers=settings.min_repeat_customers)
    alive: Array | None = None
    quiet: Array | None = None
    expected: dict[int, Array] = {}
    value: Array | None = None
    clv: Array | None = None
    notes = []
    if bg.parameters is not None:
        alive = clv_model.probability_alive(bg.parameters, x, t_x, big_t)
        quiet = clv_model.probability_no_purchase(bg.parameters, QUIET_DAYS, x, t_x, big_t)
        expected = {
            days: clv_model.expected_purchases(bg.parameters, days, x, t_x, big_t) for days in HORIZONS_DAYS
        }
    else:
        notes.append(f"{BG_NBD} not fitted: {bg.reason}")
    if gg.parameters is not None:
        mean = clv_model.population_order_value(gg.parameters)
        value = clv_model.expected_order_value(gg.parameters, x, m, np.nan if mean is None else mean)
        if mean is None:
            notes.append(
                f"{GAMMA_GAMMA}: q <= 1, so a customer without repeat purchases has no expected value"
            )
    else:
        notes.append(f"{GAMMA_GAMMA} not fitted: {gg.reason}")
    if bg.parameters is not None and value is not None:
        purchases = discounted_purchases(bg.parameters, x, t_x, big_t, settings.annual_discount_rate)
        clv = purchases * value * settings.margin_rate
    return Predictions(inputs, bg, gg, alive, expected, value, clv, quiet, "; ".join(notes) or None)


def read_inputs(settings: Settings) -> Inputs:
    """The fit's inputs from the built warehouse (the intermediate schema)."""
    schema = f"{settings.schema_prefix}intermediate"
    sql = (
        "select customer_id, frequency, recency_days, tenure_days, repeat_day_net_revenue, as_of_date"
        f' from "{schema}".{INPUTS} order by customer_id'
    )
    with warehouse_reader(settings) as query:
        rows = query(sql) if query is not None else []

    def column(name: str) -> Array:
        return np.array([float(row[name]) for row in rows], dtype=np.float64)

    return Inputs(
        customer_ids=[str(row["customer_id"]) for row in rows],
        frequency=column("frequency"),
        recency=column("recency_days"),
        tenure=column("tenure_days"),
        monetary=column("repeat_day_net_revenue"),
        as_of_date=rows[0]["as_of_date"] if rows else None,
    )


def fit_warehouse(settings: Settings, found_vars: dict[str, Any]) -> tuple[Predictions, float]:
    """Read the inputs, fit, predict and write the source tables; (predictions, seconds)."""
    started = time.perf_counter()
    predictions = predict(read_inputs(settings), check_vars(found_vars))
    replace_tables(
        settings,
        f"{settings.schema_prefix}intermediate",
        {
            PARAMETERS_TABLE: (PARAMETER_COLUMNS, predictions.parameter_rows()),
            PREDICTIONS_TABLE: (PREDICTION_COLUMNS, predictions.prediction_rows()),
        },
    )
    return predictions, round(time.perf_counter() - started, 2)


def describe(predictions: Predictions) -> dict[str, Any]:
    """The fit in a run document: per model its customers, parameters or reason."""
    described: dict[str, Any] = {"customers": len(predictions.inputs.customer_ids)}
    for fit in (predictions.bg_nbd, predictions.gamma_gamma):
        entry: dict[str, Any] = {"customers": fit.customers}
        if fit.parameters is not None:
            entry["parameters"] = {name: round(value, 6) for name, value in fit.parameters.items()}
            entry["log_likelihood"] = round(fit.log_likelihood or 0.0, 2)
        else:
            entry["reason"] = fit.reason
        described[fit.model] = entry
    return described
