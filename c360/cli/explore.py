"""Explore: the app, the docs site, and the CLV models' backtest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group
from rich.table import Table

from c360.cli.options import EXPLORE, JsonOption, console, one_line_errors, takes_settings
from c360.settings import PROJECT_ROOT, Settings
from c360.warehouse import clv_validate
from c360.warehouse.build import generate_docs
from c360.warehouse.dbt import run_dbt

app = typer.Typer()
clv_app = typer.Typer(
    help="The predictive CLV models: check them against what customers did.", no_args_is_help=True
)
app.add_typer(clv_app, name="clv", rich_help_panel=EXPLORE)


@app.command("app", rich_help_panel=EXPLORE)
@one_line_errors
@takes_settings("published", "target")
def app_command(
    settings: Settings,
    port: Annotated[int, typer.Option(help="Port to serve the app on.")] = 8501,
    address: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 to be reachable from other machines.")
    ] = "127.0.0.1",
) -> None:
    """Start the Streamlit app on the published warehouse.

    That is the published DuckDB copy (local target), or the published schemas on
    PostgreSQL or Redshift (--target, with the same C360_* variables as the build).
    """
    if settings.target == "local" and not settings.published.exists():
        raise FileNotFoundError(f"{settings.published}: nothing published yet; run `c360 run` first")
    page = PROJECT_ROOT / "streamlit_app.py"
    console.print(
        f"c360 app: http://{'localhost' if address == '127.0.0.1' else address}:{port}  (Ctrl+C to stop)"
    )
    env = {**os.environ, **settings.environment()}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(page),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]
    raise typer.Exit(subprocess.run(command, env=env, check=False).returncode)


@app.command("docs", rich_help_panel=EXPLORE)
@one_line_errors
@takes_settings("lake", "warehouse", "target", "lock_timeout")
def docs_command(
    settings: Settings,
    serve: Annotated[bool, typer.Option(help="Serve the docs site after generating it.")] = False,
) -> None:
    """Generate the dbt docs site (models, columns, tests, lineage) for the built warehouse.

    Writes one self-contained page that opens offline from the file system, on an
    overview of the layers and the marts; --serve also starts dbt's docs server.
    """
    page = generate_docs(settings)
    console.print(f"c360 docs: open file://{page}")
    if serve:
        run_dbt(settings, ["docs", "serve"])


@clv_app.command("validate")
@one_line_errors
@takes_settings("lake", "warehouse", "published", "target", "lock_timeout")
def clv_validate_command(
    settings: Settings,
    calibration_end: Annotated[
        str | None,
        typer.Option(
            "--calibration-end",
            help="Last day of the calibration period, YYYY-MM-DD (default: the holdout's length"
            " before the last purchase day).",
        ),
    ] = None,
    holdout_days: Annotated[
        int, typer.Option("--holdout-days", help="Days after the calibration end to compare with.")
    ] = clv_validate.DEFAULT_HOLDOUT_DAYS,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also write the holdout figure to this PNG file.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Backtest the CLV models on this warehouse, as the BG/NBD paper validates them.

    Builds the warehouse again as of --calibration-end (var as_of_date) into a scratch copy
    the app never reads (a temporary DuckDB file, or schemas prefixed validate_ on a
    server), fits the models there, and compares with what the customers then did in the
    current warehouse: predicted against actual purchase days in the --holdout-days after,
    in total and by repeat purchase days in calibration (0 .. 7+); and, for churn_score and
    churn_probability, how well each ranks the customers who did not buy in the next 90
    days (AUC: 0.5 is chance, 1 perfect; top-decile lift: the churn rate among the tenth
    ranked riskiest over the rate among all). The backtest is kept in the warehouse
    (ops.clv_backtest) for the app's churn page.
    """
    try:
        end = date.fromisoformat(calibration_end) if calibration_end else None
    except ValueError:
        raise ValueError(f"--calibration-end must be a date, YYYY-MM-DD; got {calibration_end!r}") from None
    say = (lambda _message: None) if as_json else console.print
    validation = clv_validate.validate(settings, end, holdout_days, say=say)
    clv_validate.record_backtest(settings, validation, say=say)
    if plot is not None:
        clv_validate.plot(validation, plot)
    if as_json:
        typer.echo(json.dumps(validation.as_json(), indent=2))
        return
    console.print(_validation_tables(validation))
    if plot is not None:
        console.print(f"Wrote the holdout figure to {plot}")


def _validation_tables(validation: clv_validate.Validation) -> Group:
    days = (validation.holdout_end - validation.calibration_end).days
    purchases = Table(
        title=f"Purchase days per customer in the {days} days after {validation.calibration_end}",
        caption=(
            f"{validation.customers:,} customers; in total {validation.actual_total:,.0f} actual,"
            f" {validation.predicted_total:,.0f} predicted"
            + (f" ({validation.error:+.1%})" if validation.error is not None else "")
            + (f"; not fitted: {validation.reason}" if validation.reason else "")
        ),
    )
    for column in ("repeat purchase days in calibration", "customers", "actual (mean)", "predicted (mean)"):
        purchases.add_column(column, justify="right")
    for row in validation.by_frequency:
        purchases.add_row(
            row.repeat_purchase_days, f"{row.customers:,}", f"{row.actual:.3f}", f"{row.predicted:.3f}"
        )
    churn = Table(
        title=(
            f"Churn: who did not buy in the {validation.churn_window_days} days"
            f" after {validation.calibration_end}"
        ),
        caption=(
            f"{validation.churned_share:.1%} of the customers did not buy"
            if validation.churned_share is not None
            else None
        ),
    )
    for column in ("measure", "AUC", "top-decile lift"):
        churn.add_column(column, justify="right")
    for measure in validation.churn:
        churn.add_row(
            measure.measure,
            "-" if measure.auc is None else f"{measure.auc:.3f}",
            "-" if measure.top_decile_lift is None else f"{measure.top_decile_lift:.2f}",
        )
    return Group(purchases, churn)
