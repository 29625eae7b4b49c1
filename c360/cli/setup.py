"""Set up: the files generated from the contracts and the steps, and the server warehouses."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from c360.cli.options import SET_UP, CheckOption, console, one_line_errors, takes_settings
from c360.pipeline import redshift_check, statemachine
from c360.settings import DBT_PROJECT_DIR, PROJECT_ROOT, Settings
from c360.warehouse import metrics, postgres_init
from c360.warehouse.sources import lake_for, register_spectrum
from loaders.contracts import codegen
from loaders.landing.batch_upload import ContractError
from loaders.warehouse import spectrum

app = typer.Typer()
redshift_app = typer.Typer(help="The Redshift target: check a cluster end to end.", no_args_is_help=True)
postgres_app = typer.Typer(help="The PostgreSQL target: set up a server for it.", no_args_is_help=True)
app.add_typer(redshift_app, name="redshift", rich_help_panel=SET_UP)
app.add_typer(postgres_app, name="postgres", rich_help_panel=SET_UP)


@app.command("contracts", rich_help_panel=SET_UP)
@one_line_errors
def contracts_command(check: CheckOption = False) -> None:
    """Write the dbt sources and vocabularies from the JSON Schemas in loaders/contracts/.

    The contracts are the single source of truth: the dbt source tables and columns
    (dbt/models/staging/*/_*__sources.yml) and the c360_vocabularies var in
    dbt/dbt_project.yml are generated from them. Edit a contract, then run this.
    """
    if check:
        stale = codegen.stale_files(DBT_PROJECT_DIR)
        if stale:
            names = ", ".join(str(path.relative_to(PROJECT_ROOT)) for path in stale)
            raise ContractError(f"out of date with loaders/contracts: {names}; run `c360 contracts`")
        console.print("The dbt sources and vocabularies match the contracts.")
        return
    written = codegen.write(DBT_PROJECT_DIR)
    for path in written:
        console.print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    if not written:
        console.print("Nothing to do: the dbt sources and vocabularies match the contracts.")


@app.command("statemachine", rich_help_panel=SET_UP)
@one_line_errors
def statemachine_command(check: CheckOption = False) -> None:
    """Write the Step Functions definition and EventBridge schedules generated from the steps.

    Files: terraform/modules/step_functions/c360_pipeline.asl.json (a Terraform templatefile)
    and schedules.json. The states are the steps of `c360 run`, in the same order.
    """
    if check:
        stale = statemachine.stale()
        if stale:
            names = ", ".join(str(path.relative_to(PROJECT_ROOT)) for path in stale)
            raise ValueError(f"out of date: {names}; run `c360 statemachine`")
        console.print("The state machine matches the steps.")
        return
    for path in statemachine.write():
        console.print(f"wrote {path.relative_to(PROJECT_ROOT)}")


@app.command("metrics", rich_help_panel=SET_UP)
@one_line_errors
def metrics_command(check: CheckOption = False) -> None:
    """Write app/metric_queries.py: the app's metric queries, compiled by MetricFlow.

    The metrics are defined once, in dbt/models/semantic/; the app reads them through
    this generated file (one SQL per query, which DuckDB, PostgreSQL and Redshift all run).
    Edit a metric or a semantic model, then run this. Parses the dbt project (about 10 s).
    """
    manifest = metrics.semantic_manifest()
    if check:
        if metrics.stale(manifest):
            name = metrics.OUTPUT_FILE.relative_to(PROJECT_ROOT)
            raise metrics.MetricsError(f"out of date with dbt/models/semantic: {name}; run `c360 metrics`")
        console.print("The app's metric queries match the semantic layer.")
        return
    path = metrics.write(manifest)
    console.print(f"wrote {path.relative_to(PROJECT_ROOT)}")


@app.command("spectrum", rich_help_panel=SET_UP)
@one_line_errors
@takes_settings("lake", "endpoint_url", target="redshift")
def spectrum_command(
    settings: Settings,
    iam_role: Annotated[
        str | None,
        typer.Option(
            envvar="C360_SPECTRUM_IAM_ROLE", help="IAM role ARN for Spectrum, or 'default' (the cluster's)."
        ),
    ] = None,
    apply: Annotated[
        bool,
        typer.Option(
            help="Register on Redshift (C360_REDSHIFT_* and its password from env): create what is"
            " missing, add new partitions, list the committed compacted parts."
        ),
    ] = False,
    recreate: Annotated[
        bool,
        typer.Option(
            help="With --apply: drop and create again the external tables whose columns differ"
            " from the contracts, and register all their partitions (catalog only; S3 is untouched)."
        ),
    ] = False,
) -> None:
    """Print (or --apply) the Spectrum DDL: external schemas, tables and the lake's partitions.

    `c360 run --target redshift` does what --apply does at every run (its load_raw step), so
    hours and days landed since the last run are read by the next build.
    """
    if iam_role:
        settings = replace(settings, spectrum_iam_role=iam_role)
    if not apply:
        ddl = spectrum.statements(
            lake_for(settings), iam_role=settings.spectrum_iam_role, schema_prefix=settings.schema_prefix
        )
        typer.echo("\n\n".join(ddl))
        return
    done = register_spectrum(settings, say=console.print, recreate=recreate)
    console.print(
        f"Spectrum: {len(done.schemas_created)} schema(s) and {len(done.tables_created)} table(s) created,"
        f" {len(done.tables_recreated)} recreated, {sum(done.partitions_added.values())} partition(s) added,"
        f" {done.compacted_parts} committed compacted part(s) listed"
    )


@redshift_app.command("check")
@one_line_errors
@takes_settings("endpoint_url", "lock_timeout", target="redshift")
def redshift_check_command(
    settings: Settings,
    bucket: Annotated[
        str, typer.Option("--bucket", help="S3 bucket (or s3://bucket/prefix) the check lands its sample in.")
    ],
    schema_prefix: Annotated[
        str | None,
        typer.Option(
            "--schema-prefix",
            envvar="C360_SCHEMA_PREFIX",
            help="Prefix of every schema the check makes (default: a new c360_check_<id>_).",
        ),
    ] = None,
    keep: Annotated[bool, typer.Option(help="Leave the schemas and the landed sample in place.")] = False,
) -> None:
    """Smoke-test a Redshift cluster, e.g. right after `terraform apply`.

    Under schemas of its own (C360_SCHEMA_PREFIX) and an S3 prefix of its own in --bucket, it
    lands a tiny sample, registers Spectrum, builds, audits, publishes, reads every published
    mart once, and drops what it made, printing one line per stage. The cluster comes from
    C360_REDSHIFT_HOST, C360_REDSHIFT_PORT, C360_REDSHIFT_USER, C360_REDSHIFT_DATABASE and
    DBT_ENV_SECRET_REDSHIFT_PASSWORD; the PII salt from C360_PII_SALT. Exits 1 if a stage failed.
    """
    settings = replace(settings, prefix=schema_prefix or redshift_check.new_prefix())

    def line(stage: redshift_check.StageResult) -> None:
        colour = {"ok": "green", "failed": "bold red", "skipped": "yellow"}[stage.status]
        console.print(
            f"{stage.stage:<9} [{colour}]{stage.status:<7}[/] {stage.seconds:6.1f} s  {stage.detail}",
            highlight=False,
            soft_wrap=True,
        )

    report = redshift_check.check(bucket, settings, keep=keep, say=line)
    if not report.passed:
        failed = next(stage for stage in report.stages if stage.status == "failed")
        raise redshift_check.RedshiftCheckError(
            f"the Redshift check failed at {failed.stage}: {failed.detail}"
        )
    console.print(f"Redshift check passed (schemas {report.schema_prefix}*, sample in {report.lake}).")


@postgres_app.command("init")
@one_line_errors
def postgres_init_command(
    admin_dsn: Annotated[
        str,
        typer.Option(
            help="libpq connection string of an administrator (PG* variables apply), e.g."
            " 'host=127.0.0.1 user=postgres'.",
        ),
    ] = "dbname=postgres",
) -> None:
    """Create the role, database and analyst role the postgres target uses, once.

    Uses C360_PG_HOST, C360_PG_PORT, C360_PG_USER, C360_PG_DATABASE and C360_ANALYST_ROLE
    (defaults 127.0.0.1, 5432, c360, c360, c360_analyst). The role gets a new random
    password, stored in the libpq password file (PGPASSFILE or ~/.pgpass), so `c360 run
    --target postgres` connects without DBT_ENV_SECRET_PG_PASSWORD.
    """
    result = postgres_init.init(admin_dsn)
    made = ", ".join(result.created) if result.created else "nothing new (the password was renewed)"
    console.print(
        f"PostgreSQL {result.host}:{result.port}/{result.database} as {result.user}: created {made}"
    )
    console.print(f"Password stored in {result.pgpass}. Next: c360 run --target postgres")
