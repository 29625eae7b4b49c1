"""The ``c360`` command line: every step of the pipeline, and ``run`` for all of them.

Settings come from flags, then ``C360_*`` environment variables, then defaults
(see ``c360.settings``). Failures print one line to stderr and exit 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from c360 import pipeline
from c360.dbt_runner import run_dbt
from c360.publish import PublishError, publish
from c360.settings import (
    DEFAULT_LAKE,
    DEFAULT_PUBLISHED,
    DEFAULT_TARGET,
    DEFAULT_WAREHOUSE,
    PROJECT_ROOT,
    Settings,
)
from loaders.batch_upload import ContractError, LandResult, land
from loaders.generator import DEFAULT_END_DATE, generate

app = typer.Typer(
    name="c360",
    help=(
        "Customer 360 analytics: land raw data in a lake, build the warehouse with dbt,"
        " explore it in Streamlit."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

LakeOption = Annotated[str, typer.Option("--lake", envvar="C360_LAKE", help="Lake root folder.")]
WarehouseOption = Annotated[
    str, typer.Option("--warehouse", envvar="C360_WAREHOUSE", help="DuckDB file dbt writes.")
]
PublishedOption = Annotated[
    str, typer.Option("--published", envvar="C360_PUBLISHED", help="DuckDB file the app reads.")
]
TargetOption = Annotated[
    str, typer.Option("--target", envvar="C360_TARGET", help="dbt target: local, postgres or redshift.")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print a machine-readable report instead of tables.")
]

F = TypeVar("F", bound=Callable[..., Any])
EXPECTED_FAILURES = (ContractError, PublishError, pipeline.BuildFailedError, ValueError, FileNotFoundError)


def one_line_errors(command: F) -> F:
    """Turn an expected failure into one line on stderr and exit code 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except EXPECTED_FAILURES as exc:
            errors.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _land_table(results: list[LandResult]) -> Table:
    table = Table("file", "entity", "status", "rows", "quarantined", title="Landed")
    for result in results:
        table.add_row(
            result.source.name, result.entity, result.status, f"{result.rows:,}", f"{result.quarantined:,}"
        )
    return table


@app.command("generate")
@one_line_errors
def generate_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the sample files into.")] = Path(
        "sample-data"
    ),
    scale: Annotated[
        float, typer.Option(help="Multiplies every entity's row count (1 = 5,000 customers).")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives byte-identical files.")] = 42,
    dirty: Annotated[
        float, typer.Option(help="Rate of injected bad records per kind (0 = clean); see answer_key.json.")
    ] = 0.0,
    end_date: Annotated[
        str, typer.Option("--end-date", help="Last day of the sample history (YYYY-MM-DD).")
    ] = DEFAULT_END_DATE.isoformat(),
    as_json: JsonOption = False,
) -> None:
    """Write sample customers, products, order lines and clickstream events into --out."""
    with console.status(f"Generating sample data at scale {scale} ..."):
        report = generate(out, scale=scale, seed=seed, dirty=dirty, end_date=date.fromisoformat(end_date))
    if as_json:
        console.print_json(json.dumps({"out": str(out), "rows": report.rows}))
        return
    table = Table("file", "rows", title=f"Sample data in {out}")
    for name, rows in report.rows.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)


@app.command("land")
@one_line_errors
def land_command(
    source: Annotated[Path, typer.Argument(help="An export file, or a folder of them.")],
    lake: LakeOption = DEFAULT_LAKE,
    as_json: JsonOption = False,
) -> None:
    """Land export files (CSV, gzip NDJSON events) in the lake; a file landed before is a no-op."""
    settings = Settings.resolve(lake=lake)
    with console.status(f"Landing {source} ..."):
        results = land(source, settings.lake)
    if as_json:
        console.print_json(
            json.dumps([{"file": r.source.name, "status": r.status, "rows": r.rows} for r in results])
        )
    else:
        console.print(_land_table(results))


@app.command(
    "build",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
@one_line_errors
def build_command(
    ctx: typer.Context,
    lake: LakeOption = DEFAULT_LAKE,
    warehouse: WarehouseOption = DEFAULT_WAREHOUSE,
    target: TargetOption = DEFAULT_TARGET,
) -> None:
    """Run `dbt build` with the c360 profile; extra arguments go to dbt (e.g. --select +monthly_revenue).

    This only builds: `c360 run` also publishes the copy the app reads.
    """
    settings = Settings.resolve(lake=lake, warehouse=warehouse, target=target)
    result = run_dbt(settings, ["build", *ctx.args])
    if not result.ok:
        raise pipeline.BuildFailedError(f"dbt build failed with exit code {result.exit_code}")


@app.command("run")
@one_line_errors
def run_command(
    input_dir: Annotated[
        Path | None, typer.Option("--input", help="Folder of new export files to land first.")
    ] = None,
    lake: LakeOption = DEFAULT_LAKE,
    warehouse: WarehouseOption = DEFAULT_WAREHOUSE,
    published: PublishedOption = DEFAULT_PUBLISHED,
    target: TargetOption = DEFAULT_TARGET,
    as_json: JsonOption = False,
) -> None:
    """The main job: land new files, build and test the warehouse, publish it for the app.

    On an empty lake with no --input, sample data is generated first.
    """
    settings = Settings.resolve(lake=lake, warehouse=warehouse, published=published, target=target)
    report = pipeline.run(settings, input_dir=input_dir, say=console.print)
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
        return
    if report.landed:
        console.print(_land_table(report.landed))
    rows = Table("layer", "model", "rows", title="Warehouse")
    for layer, models in report.layer_rows.items():
        for model, count in models.items():
            rows.add_row(layer, model, f"{count:,}")
    console.print(rows)
    steps = Table("step", "seconds", title="Timing")
    for step, seconds in report.step_seconds.items():
        steps.add_row(step, f"{seconds:.1f}")
    console.print(steps)
    if report.published:
        console.print(f"Published {report.published}")


@app.command("publish")
@one_line_errors
def publish_command(
    warehouse: WarehouseOption = DEFAULT_WAREHOUSE,
    published: PublishedOption = DEFAULT_PUBLISHED,
) -> None:
    """Copy the warehouse to the file the app reads (after a green `c360 build`)."""
    settings = Settings.resolve(warehouse=warehouse, published=published)
    console.print(f"Published {publish(settings.warehouse, settings.published)}")


@app.command("app")
@one_line_errors
def app_command(
    published: PublishedOption = DEFAULT_PUBLISHED,
    port: Annotated[int, typer.Option(help="Port to serve the app on.")] = 8501,
) -> None:
    """Start the Streamlit app on the published warehouse copy."""
    settings = Settings.resolve(published=published)
    if not settings.published.exists():
        raise FileNotFoundError(f"{settings.published}: nothing published yet; run `c360 run` first")
    page = PROJECT_ROOT / "app" / "streamlit_app.py"
    console.print(f"c360 app: http://localhost:{port}  (Ctrl+C to stop)")
    env = {**os.environ, **settings.environment()}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(page),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    raise typer.Exit(subprocess.run(command, env=env, check=False).returncode)


@app.command("docs")
@one_line_errors
def docs_command(
    lake: LakeOption = DEFAULT_LAKE,
    warehouse: WarehouseOption = DEFAULT_WAREHOUSE,
    target: TargetOption = DEFAULT_TARGET,
    serve: Annotated[bool, typer.Option(help="Serve the docs site after generating it.")] = False,
) -> None:
    """Generate dbt docs (models, columns, lineage) and optionally serve them."""
    settings = Settings.resolve(lake=lake, warehouse=warehouse, target=target)
    if not run_dbt(settings, ["docs", "generate"]).ok:
        raise pipeline.BuildFailedError("dbt docs generate failed")
    if serve:
        run_dbt(settings, ["docs", "serve"])


if __name__ == "__main__":
    app()
