"""``c360 clv validate``: the CLV models checked as the BG/NBD paper checks them.

The warehouse is built again as it was at the end of a calibration period (var
``as_of_date``: nothing later exists for that build, so the fit and its predictions are
what they would have been that day), into a scratch warehouse that is never published for
the app (a temporary DuckDB file, or schemas under their own prefix on a server). What
the customers then did comes from the current warehouse: their purchase days in the
holdout period after the calibration end.

- **Purchases**: predicted repeat purchases in the holdout (the BG/NBD conditional
  expectation) against the actual ones, in total and by the number of repeat purchase
  days in calibration (0, 1, ..., 7+), as the paper's figure 3 does.
- **Churn**: how well ``churn_score`` (the rules) and ``churn_probability`` (1 - P(alive))
  rank the customers who did not buy in the 90 days after the calibration end: the area
  under the ROC curve (0.5 is chance, 1 perfect) and the top-decile lift (the churn rate
  among the 10 % each measure ranks riskiest, over the rate among all).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from c360 import clv_model
from c360.clv_model import BG_NBD
from c360.settings import Settings
from c360.warehouse import clv_fit
from c360.warehouse.access import Query, replace_tables, warehouse_reader
from c360.warehouse.build import build
from c360.warehouse.locking import command_line, warehouse_lock
from c360.warehouse.publish import GREEN, last_build, publish, publish_warehouse, record_build
from c360.warehouse.sources import register_spectrum

DEFAULT_HOLDOUT_DAYS = 182  # 26 weeks
CHURN_WINDOW_DAYS = 90
TOP_GROUP = 7  # 7+ repeat purchase days share a row, as in the paper
SCRATCH_PREFIX = "validate_"


class ValidationError(RuntimeError):
    """The validation cannot run as asked (one line)."""


@dataclass(frozen=True)
class FrequencyRow:
    repeat_purchase_days: str  # "0" ... "6", "7+"
    customers: int
    actual: float  # mean purchase days in the holdout
    predicted: float


@dataclass(frozen=True)
class ChurnMeasure:
    measure: str
    auc: float | None
    top_decile_lift: float | None


@dataclass(frozen=True)
class Validation:
    calibration_end: date
    holdout_end: date
    customers: int
    parameters: dict[str, float] | None
    reason: str | None
    by_frequency: list[FrequencyRow]
    actual_total: float
    predicted_total: float
    churn_window_days: int
    churned_share: float | None
    churn: list[ChurnMeasure]

    @property
    def error(self) -> float | None:
        """Predicted over actual purchases in the holdout, minus 1 (0.05: 5 % too many)."""
        if not self.actual_total:
            return None
        return self.predicted_total / self.actual_total - 1

    def as_json(self) -> dict[str, Any]:
        found = asdict(self)
        found["calibration_end"] = self.calibration_end.isoformat()
        found["holdout_end"] = self.holdout_end.isoformat()
        found["error"] = self.error
        return found


def auc(scores: Sequence[float], positive: Sequence[bool]) -> float | None:
    """Area under the ROC curve: the chance a random positive scores above a random
    negative (ties count half), from the ranks (Mann-Whitney U). None without both kinds."""
    found = np.asarray(positive, dtype=bool)
    chosen = int(found.sum())
    others = found.size - chosen
    if chosen == 0 or others == 0:
        return None
    from scipy import stats  # here, not at import: the CLI starts without scipy

    ranks = stats.rankdata(np.asarray(scores, dtype=np.float64))
    return float((ranks[found].sum() - chosen * (chosen + 1) / 2) / (chosen * others))


def top_decile_lift(scores: Sequence[float], positive: Sequence[bool], ids: Sequence[str]) -> float | None:
    """The positive rate among the tenth ranked highest (ties by id), over the overall rate."""
    found = np.asarray(positive, dtype=bool)
    if found.size == 0 or not found.any():
        return None
    order = sorted(range(found.size), key=lambda row: (-float(scores[row]), ids[row]))
    top = order[: max(1, math.ceil(found.size / 10))]
    return float(found[top].mean() / found.mean())


def compare(
    calibration: dict[str, dict[str, Any]],
    holdout: dict[str, int],
    parameters: dict[str, float] | None,
    holdout_days: int,
    churned: set[str],
) -> tuple[list[FrequencyRow], float, float, list[ChurnMeasure]]:
    """The paper's comparison and the churn backtest, from the calibration build's rows
    (customer -> frequency, recency_days, tenure_days, churn_score, churn_probability),
    the holdout's purchase days per customer and the customers who did not buy."""
    ids = sorted(calibration)
    x = np.array([float(calibration[c]["frequency"]) for c in ids])
    t_x = np.array([float(calibration[c]["recency_days"]) for c in ids])
    big_t = np.array([float(calibration[c]["tenure_days"]) for c in ids])
    actual = np.array([float(holdout.get(c, 0)) for c in ids])
    predicted = (
        clv_model.expected_purchases(parameters, holdout_days, x, t_x, big_t)
        if parameters is not None
        else np.full(x.shape, np.nan)
    )
    rows = []
    for group in range(TOP_GROUP + 1):
        members = x >= group if group == TOP_GROUP else x == group
        if members.any():
            rows.append(
                FrequencyRow(
                    f"{group}+" if group == TOP_GROUP else str(group),
                    int(members.sum()),
                    round(float(actual[members].mean()), 4),
                    round(float(predicted[members].mean()), 4),
                )
            )
    labels = [c in churned for c in ids]
    measures = []
    for name in ("churn_score", "churn_probability", "no_purchase_probability_90d"):
        scores = [calibration[c][name] for c in ids]
        if any(score is None for score in scores):
            measures.append(ChurnMeasure(name, None, None))
            continue
        values = [float(score) for score in scores]
        measures.append(ChurnMeasure(name, auc(values, labels), top_decile_lift(values, labels, ids)))
    return rows, float(actual.sum()), float(np.nansum(predicted)), measures


CALIBRATION_SQL = """
select
    lifetime.customer_id,
    lifetime.frequency,
    lifetime.recency_days,
    lifetime.tenure_days,
    lifetime.as_of_date,
    churn.churn_score,
    churn.churn_probability,
    churn.no_purchase_probability_90d
from "{prefix}analytics".customer_lifetime_value as lifetime
inner join "{prefix}analytics".churn_risk as churn
    on lifetime.customer_id = churn.customer_id
"""
PARAMETERS_SQL = (
    "select parameter, value, reason from \"{prefix}intermediate\".{table} where model = '{model}'"
)
HOLDOUT_SQL = """
select customer_id, count(distinct order_date) as purchase_days
from "{prefix}intermediate".int_purchases_valued
where order_date > cast('{start}' as date) and order_date <= cast('{end}' as date)
group by customer_id
"""
LAST_DAY_SQL = 'select max(order_date) as last_day from "{prefix}intermediate".int_purchases_valued'


def _last_purchase_day(query: Query, prefix: str) -> date | None:
    [row] = query(LAST_DAY_SQL.format(prefix=prefix))
    return row["last_day"]  # type: ignore[no-any-return]


def _purchase_days(query: Query, prefix: str, start: date, end: date) -> dict[str, int]:
    rows = query(HOLDOUT_SQL.format(prefix=prefix, start=start.isoformat(), end=end.isoformat()))
    return {str(row["customer_id"]): int(row["purchase_days"]) for row in rows}


def scratch_settings(settings: Settings, folder: Path) -> Settings:
    """Where the calibration build goes: a DuckDB file in ``folder``, or on a server the
    same database under schemas prefixed ``validate_`` (after the settings' own prefix)."""
    if settings.target == "local":
        return replace(
            settings, warehouse=folder / "calibration.duckdb", published=folder / "published.duckdb"
        )
    return replace(settings, prefix=f"{settings.prefix}{SCRATCH_PREFIX}")


def validate(
    settings: Settings,
    calibration_end: date | None = None,
    holdout_days: int = DEFAULT_HOLDOUT_DAYS,
    say: Callable[[str], None] = print,
) -> Validation:
    """Build as of the calibration end, fit, and compare with what the customers did."""
    if holdout_days < 1:
        raise ValidationError(f"--holdout-days must be at least 1; got {holdout_days}")
    prefix = settings.schema_prefix
    with warehouse_reader(settings) as query:
        if query is None:
            raise ValidationError(f"no warehouse at {settings.warehouse}: run `c360 run` first")
        last_day = _last_purchase_day(query, prefix)
        if last_day is None:
            raise ValidationError("the warehouse holds no purchase: there is nothing to validate against")
        end = calibration_end or last_day - timedelta(days=holdout_days)
        holdout_end = end + timedelta(days=holdout_days)
        if holdout_end > last_day:
            raise ValidationError(
                f"the purchases end on {last_day}: a {holdout_days}-day holdout after {end} needs them to"
                f" {holdout_end}; give an earlier --calibration-end or fewer --holdout-days"
            )
        holdout = _purchase_days(query, prefix, end, holdout_end)
        churn_window = _purchase_days(query, prefix, end, end + timedelta(days=CHURN_WINDOW_DAYS))
    with tempfile.TemporaryDirectory(prefix="c360-validate-") as folder:
        scratch = scratch_settings(settings, Path(folder))
        say(f"Building the warehouse as of {end} (the calibration end) into {scratch.warehouse_label()}")
        if scratch.target == "redshift":
            register_spectrum(scratch, say)
        # What the two marts need and no more; a test runs only if all it reads is built.
        args = [
            "--vars",
            f'{{"as_of_date": "{end.isoformat()}"}}',
            "--select",
            "+customer_lifetime_value",
            "+churn_risk",
            "--indirect-selection",
            "cautious",
        ]
        build(scratch, args, say)
        if scratch.target != "local":  # the audit schemas become the prefixed plain ones
            publish_warehouse(scratch)
        with warehouse_reader(scratch) as query:
            assert query is not None
            scratch_prefix = scratch.schema_prefix
            calibration = {
                str(row["customer_id"]): row for row in query(CALIBRATION_SQL.format(prefix=scratch_prefix))
            }
            fitted = query(
                PARAMETERS_SQL.format(prefix=scratch_prefix, table=clv_fit.PARAMETERS_TABLE, model=BG_NBD)
            )
    reasons = {str(row["reason"]) for row in fitted if row["reason"] is not None}
    parameters = None if reasons else {str(row["parameter"]): float(row["value"]) for row in fitted}
    rows, actual, predicted, churn = compare(
        calibration, holdout, parameters, holdout_days, {c for c in calibration if c not in churn_window}
    )
    return Validation(
        calibration_end=end,
        holdout_end=holdout_end,
        customers=len(calibration),
        parameters=parameters,
        reason=next(iter(reasons), None),
        by_frequency=rows,
        actual_total=round(actual, 2),
        predicted_total=round(predicted, 2),
        churn_window_days=CHURN_WINDOW_DAYS,
        churned_share=(
            round(sum(1 for c in calibration if c not in churn_window) / len(calibration), 4)
            if calibration
            else None
        ),
        churn=churn,
    )


BACKTEST_TABLE = "clv_backtest"  # in the ops schema, beside the run ledger
BACKTEST_COLUMNS = (
    ("measure", "text"),
    ("auc", "double precision"),
    ("top_decile_lift", "double precision"),
    ("customers", "integer"),
    ("churned_share", "double precision"),
    ("churn_window_days", "integer"),
    ("calibration_end", "date"),
    ("holdout_days", "integer"),
    ("actual_purchases", "double precision"),
    ("predicted_purchases", "double precision"),
    ("measured_at", "text"),
)


def record_backtest(settings: Settings, validation: Validation, say: Callable[[str], None] = print) -> None:
    """Keep the backtest in the warehouse (``ops.clv_backtest``, one row per churn measure)
    for the app's churn page. On a server the ops schema is read as it is written. On
    DuckDB, when the app's copy is the last green build, that build with the backtest is
    published at once; otherwise the backtest reaches the app with the next published build."""
    measured_at = datetime.now(UTC).isoformat(timespec="seconds")
    holdout_days = (validation.holdout_end - validation.calibration_end).days
    rows = [
        (
            measure.measure,
            measure.auc,
            measure.top_decile_lift,
            validation.customers,
            validation.churned_share,
            validation.churn_window_days,
            validation.calibration_end,
            holdout_days,
            validation.actual_total,
            validation.predicted_total,
            measured_at,
        )
        for measure in validation.churn
    ]
    with warehouse_lock(settings, command_line()):
        record = last_build(settings.warehouse) if settings.target == "local" else None
        stat = settings.warehouse.stat() if settings.target == "local" else None
        current = (
            record is not None
            and stat is not None
            and record.status == GREEN
            and (stat.st_size, stat.st_mtime_ns) == (record.size, record.mtime_ns)
            and settings.published.exists()
        )
        replace_tables(settings, f"{settings.schema_prefix}ops", {BACKTEST_TABLE: (BACKTEST_COLUMNS, rows)})
        if current:  # only the backtest changed since the green build readers have
            record_build(settings.warehouse, GREEN)
            publish(settings.warehouse, settings.published)
            say("The churn page shows this backtest now.")
        elif settings.target == "local":
            say("The churn page shows this backtest after the next published build.")


def plot(validation: Validation, path: Path) -> Path:
    """The paper's figure 3 for this shop: mean holdout purchases, actual and predicted, by
    repeat purchase days in calibration; written as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    labels = [row.repeat_purchase_days for row in validation.by_frequency]
    figure, axes = pyplot.subplots(figsize=(7, 4), dpi=120)
    axes.plot(labels, [row.actual for row in validation.by_frequency], marker="o", label="actual")
    axes.plot(
        labels, [row.predicted for row in validation.by_frequency], marker="s", linestyle="--", label="BG/NBD"
    )
    axes.set_xlabel("repeat purchase days in calibration")
    axes.set_ylabel(
        f"mean purchase days in the {(validation.holdout_end - validation.calibration_end).days}-day holdout"
    )
    axes.set_title(f"Holdout purchases, actual and predicted (calibration to {validation.calibration_end})")
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)
    return path
