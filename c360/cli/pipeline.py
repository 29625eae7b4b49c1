"""The pipeline: build, publish, the whole run, and one step of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markdown import Markdown
from rich.table import Table

from c360.cli.ingest import land_table
from c360.cli.options import PIPELINE, JsonOption, console, errors, one_line_errors, takes_settings
from c360.pipeline import runner
from c360.pipeline.steps import STEPS
from c360.settings import DBT_PROJECT_DIR, Settings
from c360.warehouse import review
from c360.warehouse.build import build
from c360.warehouse.publish import publish_warehouse
from config.errors import first_line

app = typer.Typer()


@app.command(
    "build",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    rich_help_panel=PIPELINE,
)
@one_line_errors
@takes_settings("lake", "warehouse", "target", "lock_timeout")
def build_command(ctx: typer.Context, settings: Settings) -> None:
    """Run `dbt build` with the c360 profile; extra arguments go to dbt (e.g. --select +monthly_revenue).

    This only builds: `c360 publish` (or `c360 run`) then publishes the copy the app reads,
    and only if this build was green. With --target postgres the lake's raw files not
    loaded yet are first COPYed into the raw schemas (connection from C360_PG_HOST,
    C360_PG_PORT, C360_PG_USER, C360_PG_DATABASE and DBT_ENV_SECRET_PG_PASSWORD, as in the
    dbt profile). Holds the warehouse lock while it runs.
    """
    build(settings, list(ctx.args), say=console.print)


@app.command("review", rich_help_panel=PIPELINE)
@takes_settings("lake", "warehouse", "published", "target")
def review_command(
    settings: Settings,
    markdown_file: Annotated[
        Path | None, typer.Option("--markdown", help="Also write the review as Markdown (a PR comment).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the review as JSON on stdout.")] = False,
    project_dir: Annotated[Path, typer.Option(help="The dbt project with the change.")] = DBT_PROJECT_DIR,
    name: Annotated[
        str,
        typer.Option(
            envvar="C360_REVIEW_NAME",
            help="PostgreSQL, Redshift: build into <schema>__review_<name> (e.g. pr_123), so"
            " reviews running at once on one server stay apart.",
        ),
    ] = "",
) -> None:
    """What a change to the dbt project does to the data, before it ships.

    Compares the project (--project-dir, e.g. a pull request's checkout) with dbt's
    manifest of the published build, which publishing keeps in the lake; builds the
    models, seeds and snapshots the change modified and everything below them, runs their
    tests and unit tests, and diffs each rebuilt table with its published one by primary
    key: rows added, removed and changed, changed values per column with example keys, and
    columns added, removed or retyped. DuckDB builds into a scratch copy of the published
    file; PostgreSQL and Redshift into <schema>__review schemas (dropped afterwards),
    reading what the change did not touch from the published schemas. The published
    warehouse is only read.

    Exit 0 when the change builds and passes its tests (whatever it changed), 1 when a
    test, a unit test or a contract fails, 2 when it cannot be reviewed or a model does
    not build; one line on stderr names the cause.
    """
    try:
        # Progress to stderr, beside dbt's: stdout is the review (--json).
        result = review.review(settings, project_dir, say=errors.print, name=name)
    except review.ReviewError as exc:
        if markdown_file is not None:  # the pull request hears why, too
            markdown_file.write_text(review.markdown_error(first_line(exc)), "utf-8")
        errors.print(f"[bold red]error:[/] {first_line(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    text = review.markdown(result)
    if markdown_file is not None:
        markdown_file.write_text(text, "utf-8")
    if as_json:
        print(json.dumps(result.as_json(), indent=2))
    else:
        console.print(Markdown(text))
    if result.exit_code:
        cause = [*result.errors, *result.failures][0]
        errors.print(f"[bold red]error:[/] {first_line(cause)}", highlight=False, soft_wrap=True)
        raise typer.Exit(result.exit_code)


@app.command("publish", rich_help_panel=PIPELINE)
@one_line_errors
@takes_settings("lake", "warehouse", "published", "target", "lock_timeout")
def publish_command(settings: Settings) -> None:
    """Publish the last `c360 build` for readers, if it was green.

    DuckDB: copy the warehouse to the file the app reads. PostgreSQL and Redshift: swap
    the audit schemas the build wrote in for the published ones, in one transaction (the
    old ones stay as <schema>__previous). The build's dbt manifest goes to the lake, for
    `c360 review` to compare a change with. Refuses (exit 1, one line) a build that failed,
    is still running, or (DuckDB) a warehouse changed since, e.g. by dbt run directly; what
    readers see stays as it was.
    """
    console.print(f"Published {publish_warehouse(settings)}")


STEP_LIST = ", ".join(step.name for step in STEPS)


@app.command(
    "run",
    help=f"""The main job, step by step: {STEP_LIST} (`c360 step --help` says what each does).

    On an empty lake with no --input, sample data is generated first. A run with nothing
    new since the last published one says so and publishes nothing; on DuckDB, a run with
    new files of some sources rebuilds only what reads them, with the same result as a
    full build (`c360 build --full-refresh` rebuilds everything). Only a green build
    (every error-severity test passed) is published; otherwise the last good copy keeps
    serving, an alert is raised (lake _alerts/, and SNS if C360_ALERT_TOPIC_ARN is set) and
    the command exits 1 naming what failed. Every run writes its run document to the lake's
    _runs/ (--json prints it). A second run waits for the first (--lock-timeout), then
    stops with one line naming it.
    """,
    rich_help_panel=PIPELINE,
)
@one_line_errors
@takes_settings("lake", "warehouse", "published", "target", "lock_timeout")
def run_command(
    settings: Settings,
    input_dir: Annotated[
        Path | None, typer.Option("--input", help="Folder of new export files to land first.")
    ] = None,
    only: Annotated[str | None, typer.Option("--only", help="Run this step alone.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="Run the steps from this one on.")] = None,
    dbt_vars: Annotated[
        str | None,
        typer.Option(
            "--vars",
            help='dbt vars for the build, as YAML or JSON, e.g. \'{"as_of_date": "2024-06-30"}\' '
            "to build every mart as it was at the end of that day.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    report = runner.run(
        settings,
        input_dir=input_dir,
        dbt_args=["--vars", dbt_vars] if dbt_vars is not None else None,
        say=errors.print if as_json else console.print,
        only=only,
        start=start,
    )
    if as_json:
        console.print_json(json.dumps(report.document, default=str))
        return
    if report.landed:
        console.print(land_table(report.landed))
    if report.layer_rows:
        rows = Table("layer", "model", "rows", title="Warehouse")
        for layer, models in report.layer_rows.items():
            for model, count in models.items():
                rows.add_row(layer, model, f"{count:,}")
        console.print(rows)
    console.print(steps_table(report.document))
    stale = report.freshness.get("warn", 0)
    if stale:
        console.print(f"[yellow]{stale} source(s) past their freshness warn_after[/] (see dbt output above)")
    console.print(f"Run {report.document.get('run_id')}: {report.document.get('status')}")
    if report.published:
        console.print(f"Published {report.published}")


def steps_table(document: dict[str, Any]) -> Table:
    table = Table("step", "status", "seconds", "note", title=f"Run {document.get('run_id')}")
    for entry in document.get("steps", []):
        output = entry.get("output", {})
        note = (
            output.get("skipped")
            or entry.get("error")
            or ", ".join(
                f"{key} {value}"
                for key, value in output.items()
                if isinstance(value, int | float | str) and key != "fingerprint"
            )
        )
        table.add_row(entry["name"], entry["status"], f"{entry.get('seconds', 0):.1f}", str(note)[:80])
    return table


STEPS_HELP = "\n\n".join(f"{step.name}: {step.does}" for step in STEPS)


@app.command(
    "step",
    help="Run one pipeline step, as a Step Functions task does.\n\n" + STEPS_HELP,
    rich_help_panel=PIPELINE,
)
@one_line_errors
@takes_settings("lake", "warehouse", "published", "target", "lock_timeout")
def step_command(
    settings: Settings,
    name: Annotated[str, typer.Argument(help="The step to run (see above).")],
    event: Annotated[
        str, typer.Option(help="The run document so far (JSON), as the state machine passes it.")
    ] = "{}",
    input_dir: Annotated[Path | None, typer.Option("--input", help="Folder of export files (land).")] = None,
) -> None:
    """Prints the run document with this step's entry added (JSON on stdout). Run by the
    state machine (C360_TASK_TOKEN set), it also hands the document, or the failure, back
    to Step Functions."""
    document = json.loads(event) if event.strip() else {}
    if not isinstance(document, dict):
        raise ValueError("--event: expected a JSON object (the run document)")
    document = runner.run_task(settings, name, document, errors.print, input_dir)
    console.print_json(json.dumps(document, default=str))
