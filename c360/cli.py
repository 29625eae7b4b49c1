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
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console, Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from c360 import clv_validate, pipeline, redshift_check
from c360.dbt_runner import run_dbt
from c360.locking import WarehouseBusyError, command_line, warehouse_lock
from c360.publish import PublishError
from c360.settings import (
    DBT_PROJECT_DIR,
    DEFAULT_LAKE,
    DEFAULT_PUBLISHED,
    DEFAULT_TARGET,
    DEFAULT_WAREHOUSE,
    PROJECT_ROOT,
    Settings,
)
from loaders import connections, event_source_mapping, kinesis_consumer, kinesis_producer, spectrum
from loaders.batch_upload import DEFAULT_ENCODING, ContractError, LandResult, land, unland
from loaders.compaction import DEFAULT_TARGET_BYTES, CompactionError, compact
from loaders.contracts import codegen
from loaders.generator import DEFAULT_END_DATE, generate
from loaders.lake import DEFAULT_MULTIPART_THRESHOLD

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

LakeOption = Annotated[
    str, typer.Option("--lake", envvar="C360_LAKE", help="Lake root: a folder or s3://bucket/prefix.")
]
EndpointOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        envvar="C360_S3_ENDPOINT_URL",
        help="S3/Kinesis endpoint override (moto_server, LocalStack); default: AWS.",
    ),
]
KmsKeyOption = Annotated[
    str | None,
    typer.Option(
        "--kms-key-id",
        envvar="C360_KMS_KEY_ID",
        help="KMS key (id, ARN or alias) for SSE-KMS on S3; default: the account's aws/s3 key.",
    ),
]
WarehouseOption = Annotated[
    str, typer.Option("--warehouse", envvar="C360_WAREHOUSE", help="DuckDB file dbt writes.")
]
PublishedOption = Annotated[
    str, typer.Option("--published", envvar="C360_PUBLISHED", help="DuckDB file the app reads.")
]
TargetOption = Annotated[
    str, typer.Option("--target", envvar="C360_TARGET", help="dbt target: local, postgres or redshift.")
]
LockTimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--lock-timeout",
        envvar="C360_LOCK_TIMEOUT",
        help="Seconds to wait for another c360 process to release the warehouse (default 60).",
    ),
]
CheckOption = Annotated[
    bool, typer.Option("--check", help="Write nothing; exit 1 if a generated file is out of date.")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print a machine-readable report instead of tables.")
]

F = TypeVar("F", bound=Callable[..., Any])
EXPECTED_FAILURES = (
    ContractError,
    PublishError,
    WarehouseBusyError,
    pipeline.BuildFailedError,
    CompactionError,
    event_source_mapping.ConsumeError,
    spectrum.SpectrumError,
    connections.ConnectionFailedError,
    redshift_check.RedshiftCheckError,
    clv_validate.ValidationError,
    ValueError,
    OSError,
    BotoCoreError,
    ClientError,
)


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
    sources: Annotated[
        list[Path], typer.Argument(help="Export files and folders of them (all are read before any lands).")
    ],
    lake: LakeOption = DEFAULT_LAKE,
    endpoint_url: EndpointOption = None,
    kms_key_id: KmsKeyOption = None,
    encoding: Annotated[
        str, typer.Option(help="Text encoding of the CSV exports (e.g. cp1252); they land as UTF-8.")
    ] = DEFAULT_ENCODING,
    multipart_threshold_mb: Annotated[
        int, typer.Option(help="On S3, upload files larger than this in parts (MiB).")
    ] = DEFAULT_MULTIPART_THRESHOLD // (1024 * 1024),
    as_json: JsonOption = False,
) -> None:
    """Land export files (CSV, gzip NDJSON events) in the lake; a file landed before is a no-op.

    Every row of every file is read first, and nothing lands unless all can: a header that
    breaks its contract or text that is not in --encoding refuses the whole call, naming
    the file (and line and byte). A bad row (wrong number of fields, broken quoting, a NUL,
    an event that breaks its contract) is quarantined under quarantine/ with its file, line
    and reason, and the rest lands. On S3 every object is encrypted with SSE-KMS and
    carries a SHA-256 checksum.
    """
    settings = Settings.resolve(lake=lake, s3_endpoint_url=endpoint_url, kms_key_id=kms_key_id)
    target = pipeline.lake_for(settings, multipart_threshold=multipart_threshold_mb * 1024 * 1024)
    with console.status(f"Landing {len(sources)} path(s) in {target.uri} ..."):
        results = land(sources, target, encoding=encoding)
    if as_json:
        console.print_json(
            json.dumps(
                [
                    {
                        "file": r.source.name,
                        "entity": r.entity,
                        "status": r.status,
                        "rows": r.rows,
                        "quarantined": r.quarantined,
                        "target": r.target,
                    }
                    for r in results
                ]
            )
        )
    else:
        console.print(_land_table(results))


@app.command("unland")
@one_line_errors
def unland_command(
    keys: Annotated[
        list[str], typer.Argument(help="Lake keys of landed files, e.g. raw/shop/customers/.../x.csv.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why the file is taken back (kept beside it).")],
    lake: LakeOption = DEFAULT_LAKE,
    endpoint_url: EndpointOption = None,
) -> None:
    """Take landed files back: each moves to quarantine/<source>/<entity>/unlanded/ with its reason.

    For a file that should never have landed. Nothing is lost (the file and a note of why
    and where it was are kept in quarantine), the next build no longer reads it, and a
    compacted hour that held its events is compacted again without them.
    """
    settings = Settings.resolve(lake=lake, s3_endpoint_url=endpoint_url)
    target = pipeline.lake_for(settings)
    for key in keys:
        result = unland(target, key, reason)
        recompacted = f"; compacted again: {', '.join(result.recompacted)}" if result.recompacted else ""
        console.print(f"{result.key} -> {result.kept_as}{recompacted}", highlight=False, soft_wrap=True)


def _kinesis_client(endpoint_url: str | None) -> Any:
    import boto3

    return boto3.client("kinesis", endpoint_url=endpoint_url)


@app.command("stream")
@one_line_errors
def stream_command(
    source: Annotated[Path, typer.Option("--from", help="Events file, one JSON object per line.")],
    to: Annotated[str, typer.Option("--to", help="kinesis://STREAM, or local (the consumer, in-process).")],
    endpoint_url: EndpointOption = None,
    lake: LakeOption = DEFAULT_LAKE,
    rate: Annotated[float | None, typer.Option(help="Most records per second (default: no limit).")] = None,
    batch_size: Annotated[
        int, typer.Option(help="With --to local: records per consumer invocation (event source mapping).")
    ] = kinesis_consumer.DEFAULT_BATCH_SIZE,
    shards: Annotated[int, typer.Option(help="With --to local: shards to spread partition keys over.")] = 1,
    failures: Annotated[
        Path | None,
        typer.Option(help="Where records that could not be sent are kept (default: FROM.failed.jsonl)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Send an events file to a Kinesis stream (PutRecords, retrying failed entries), or --to local.

    The partition key is each event's anonymous_id. Records that still fail after the last
    retry are written with their reason and payload to the failures file (one JSON object per
    line, like the lake's quarantine) and the command exits 1.
    """
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such events file")
    target = kinesis_producer.KinesisTarget(to)
    sink: kinesis_producer.KinesisSink | kinesis_producer.LocalSink
    if target.stream is None:
        settings = Settings.resolve(lake=lake, s3_endpoint_url=endpoint_url)
        sink = kinesis_producer.LocalSink(pipeline.lake_for(settings), batch_size=batch_size, shards=shards)
    else:
        sink = kinesis_producer.KinesisSink(_kinesis_client(endpoint_url), target.stream)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, transient=True, disable=as_json) as progress:
        task = progress.add_task(f"Streaming {source.name} to {to}", total=None)
        report = kinesis_producer.stream(
            kinesis_producer.read_records(source),
            sink,
            rate=rate,
            on_progress=lambda done: progress.advance(task, done),
        )
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
    else:
        table = Table("sent", "retried", "failed", "calls", title=f"Streamed {source.name} to {to}")
        counts = (report.sent, report.retried, len(report.failed), report.calls)
        table.add_row(*(f"{count:,}" for count in counts))
        console.print(table)
        for failure in report.failed[:20]:
            line = f"line {failure.line_number}: {failure.error_code} {failure.message}"
            errors.print(line, highlight=False, soft_wrap=True)
    if report.failed:
        kept = failures or source.with_name(source.name + ".failed.jsonl")
        with kept.open("w", encoding="utf-8") as handle:
            for failure in report.failed:
                handle.write(json.dumps(failure.as_quarantine_entry(), ensure_ascii=False) + "\n")
        note = f"{len(report.failed):,} records not sent; kept with their reasons in {kept}"
        errors.print(note, highlight=False, soft_wrap=True)
        raise typer.Exit(1)


@app.command("consume")
@one_line_errors
def consume_command(
    source: Annotated[str, typer.Option("--from", help="kinesis://STREAM to read.")],
    endpoint_url: EndpointOption = None,
    lake: LakeOption = DEFAULT_LAKE,
    batch_size: Annotated[
        int, typer.Option(help="Records per GetRecords call and handler invocation.")
    ] = kinesis_consumer.DEFAULT_BATCH_SIZE,
    max_seconds: Annotated[float, typer.Option(help="Stop after this long even if not caught up.")] = 300.0,
    as_json: JsonOption = False,
) -> None:
    """Read a Kinesis stream from its checkpoint and land it through the consumer handler.

    Works like the Lambda event source mapping: one invocation per batch; after a failed
    write the batch is delivered again from the lowest failed sequence number on; the shard
    checkpoint moves only after success. Stops when every shard is caught up.
    """
    stream_name = kinesis_producer.KinesisTarget(source).stream
    if stream_name is None:
        raise ValueError(f"--from {source}: expected kinesis://STREAM")
    settings = Settings.resolve(lake=lake, s3_endpoint_url=endpoint_url)
    with console.status(f"Consuming {source} into {settings.lake} ..."):
        report = event_source_mapping.poll(
            _kinesis_client(endpoint_url),
            stream_name,
            pipeline.lake_for(settings),
            batch_size=batch_size,
            max_seconds=max_seconds,
        )
    delivered = report.delivery
    summary = {
        "shards": report.shards,
        "invocations": delivered.invocations,
        "received": delivered.result.received,
        "written": delivered.result.written,
        "already_landed": delivered.result.already_landed,
        "quarantined": delivered.result.quarantined,
        "redelivered": delivered.redelivered,
    }
    if as_json:
        console.print_json(json.dumps(summary))
        return
    table = Table(*summary, title=f"Consumed {source}")
    table.add_row(*(f"{value:,}" for value in summary.values()))
    console.print(table)


@app.command("compact")
@one_line_errors
def compact_command(
    day: Annotated[str, typer.Option("--date", help="Partition date to compact (YYYY-MM-DD).")],
    hour: Annotated[str | None, typer.Option("--hour", help="Only this hour (00-23); default: all.")] = None,
    lake: LakeOption = DEFAULT_LAKE,
    endpoint_url: EndpointOption = None,
    target_mb: Annotated[int, typer.Option(help="Target size of each Parquet file (MiB).")] = (
        DEFAULT_TARGET_BYTES // (1024 * 1024)
    ),
    as_json: JsonOption = False,
) -> None:
    """Rewrite a day's (or hour's) small raw event files as zstd Parquet under compacted/.

    Atomic (a manifest commits the output), verified (row counts), idempotent (an hour whose
    raw files did not change is skipped).
    """
    date.fromisoformat(day)
    if hour is not None and not (hour.isdigit() and 0 <= int(hour) <= 23):
        raise ValueError(f"--hour {hour}: expected 00-23")
    settings = Settings.resolve(lake=lake, s3_endpoint_url=endpoint_url)
    with console.status(f"Compacting dt={day} ..."):
        results = compact(pipeline.lake_for(settings), day, hour, target_mb * 1024 * 1024)
    if as_json:
        console.print_json(json.dumps([result.__dict__ for result in results]))
        return
    table = Table("dt", "hr", "status", "raw files", "rows", "parquet files", "MB in", "MB out")
    for result in results:
        table.add_row(
            result.dt,
            result.hr,
            result.status,
            str(result.input_files),
            f"{result.rows:,}",
            str(len(result.parts)),
            f"{result.input_bytes / 1e6:.1f}",
            f"{result.output_bytes / 1e6:.1f}",
        )
    console.print(table)


@app.command("spectrum")
@one_line_errors
def spectrum_command(
    lake: LakeOption = DEFAULT_LAKE,
    endpoint_url: EndpointOption = None,
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
    settings = Settings.resolve(
        lake=lake, s3_endpoint_url=endpoint_url, target="redshift", spectrum_iam_role=iam_role
    )
    if not apply:
        ddl = spectrum.statements(
            pipeline.lake_for(settings),
            iam_role=settings.spectrum_iam_role,
            schema_prefix=settings.schema_prefix,
        )
        typer.echo("\n\n".join(ddl))
        return
    connection = connections.redshift()
    try:
        done = spectrum.register(
            pipeline.lake_for(settings),
            connection,
            schema_prefix=settings.schema_prefix,
            iam_role=settings.spectrum_iam_role,
            recreate=recreate,
            say=console.print,
        )
    finally:
        connection.close()
    console.print(
        f"Spectrum: {len(done.schemas_created)} schema(s) and {len(done.tables_created)} table(s) created,"
        f" {len(done.tables_recreated)} recreated, {sum(done.partitions_added.values())} partition(s) added,"
        f" {done.compacted_parts} committed compacted part(s) listed"
    )


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
    lock_timeout: LockTimeoutOption = None,
) -> None:
    """Run `dbt build` with the c360 profile; extra arguments go to dbt (e.g. --select +monthly_revenue).

    This only builds: `c360 publish` (or `c360 run`) then publishes the copy the app reads,
    and only if this build was green. With --target postgres the lake's raw files not
    loaded yet are first COPYed into the raw schemas (connection from C360_PG_HOST,
    C360_PG_PORT, C360_PG_USER, C360_PG_DATABASE and DBT_ENV_SECRET_PG_PASSWORD, as in the
    dbt profile). Holds the warehouse lock while it runs.
    """
    settings = Settings.resolve(lake=lake, warehouse=warehouse, target=target, lock_timeout=lock_timeout)
    pipeline.build(settings, list(ctx.args), say=console.print)


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
    lock_timeout: LockTimeoutOption = None,
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
    """The main job, step by step: land, stream, compact, load_raw, freshness, build, gate,
    publish, report (`c360 step --help` says what each does).

    On an empty lake with no --input, sample data is generated first. A run with nothing
    new since the last published one says so and publishes nothing. Only a green build
    (every error-severity test passed) is published; otherwise the last good copy keeps
    serving, an alert is raised (lake _alerts/, and SNS if C360_ALERT_TOPIC_ARN is set) and
    the command exits 1 naming what failed. Every run writes its run document to the lake's
    _runs/ (--json prints it). A second run waits for the first (--lock-timeout), then
    stops with one line naming it.
    """
    settings = Settings.resolve(
        lake=lake, warehouse=warehouse, published=published, target=target, lock_timeout=lock_timeout
    )
    report = pipeline.run(
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
        console.print(_land_table(report.landed))
    if report.layer_rows:
        rows = Table("layer", "model", "rows", title="Warehouse")
        for layer, models in report.layer_rows.items():
            for model, count in models.items():
                rows.add_row(layer, model, f"{count:,}")
        console.print(rows)
    console.print(_steps_table(report.document))
    stale = report.freshness.get("warn", 0)
    if stale:
        console.print(f"[yellow]{stale} source(s) past their freshness warn_after[/] (see dbt output above)")
    console.print(f"Run {report.document.get('run_id')}: {report.document.get('status')}")
    if report.published:
        console.print(f"Published {report.published}")


def _steps_table(document: dict[str, Any]) -> Table:
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


def _steps_help() -> str:
    from c360.steps import STEPS

    return "\n\n".join(f"{step.name}: {step.does}" for step in STEPS)


@app.command("step", help="Run one pipeline step, as a Step Functions task does.\n\n" + _steps_help())
@one_line_errors
def step_command(
    name: Annotated[str, typer.Argument(help="The step to run (see above).")],
    event: Annotated[
        str, typer.Option(help="The run document so far (JSON), as the state machine passes it.")
    ] = "{}",
    input_dir: Annotated[Path | None, typer.Option("--input", help="Folder of export files (land).")] = None,
    lake: LakeOption = DEFAULT_LAKE,
    warehouse: WarehouseOption = DEFAULT_WAREHOUSE,
    published: PublishedOption = DEFAULT_PUBLISHED,
    target: TargetOption = DEFAULT_TARGET,
    lock_timeout: LockTimeoutOption = None,
) -> None:
    """Prints the run document with this step's entry added (JSON on stdout). Run by the
    state machine (C360_TASK_TOKEN set), it also hands the document, or the failure, back
    to Step Functions."""
    from c360 import steps

    settings = Settings.resolve(
        lake=lake, warehouse=warehouse, published=published, target=target, lock_timeout=lock_timeout
    )
    document = json.loads(event) if event.strip() else {}
    if not isinstance(document, dict):
        raise ValueError("--event: expected a JSON object (the run document)")
    document = {**steps.new_run_document(settings), **document}
    context = steps.RunContext(settings, document, errors.print, input_dir)
    token = os.environ.get("C360_TASK_TOKEN")
    try:
        with warehouse_lock(settings, command_line()):
            steps.run_step(steps.step_named(name), context)
    except Exception as error:
        if token:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            _stepfunctions_client(settings).send_task_failure(
                taskToken=token, error=f"c360.{type(error).__name__}", cause=message[:32768]
            )
        raise
    output = json.dumps(document, default=str)
    if token:
        _stepfunctions_client(settings).send_task_success(taskToken=token, output=output)
    console.print_json(output)


def _stepfunctions_client(settings: Settings) -> Any:
    import boto3

    return boto3.client("stepfunctions", endpoint_url=settings.s3_endpoint_url)


@app.command("statemachine")
@one_line_errors
def statemachine_command(
    check: CheckOption = False,
) -> None:
    """Write the Step Functions definition and EventBridge schedules generated from the steps.

    Files: terraform/modules/step_functions/c360_pipeline.asl.json (a Terraform templatefile)
    and schedules.json. The states are the steps of `c360 run`, in the same order.
    """
    from c360 import statemachine

    if check:
        stale = statemachine.stale()
        if stale:
            names = ", ".join(str(path.relative_to(PROJECT_ROOT)) for path in stale)
            raise ValueError(f"out of date: {names}; run `c360 statemachine`")
        console.print("The state machine matches the steps.")
        return
    for path in statemachine.write():
        console.print(f"wrote {path.relative_to(PROJECT_ROOT)}")


@app.command("publish")
@one_line_errors
def publish_command(
    warehouse: WarehouseOption = DEFAULT_WAREHOUSE,
    published: PublishedOption = DEFAULT_PUBLISHED,
    target: TargetOption = DEFAULT_TARGET,
    lock_timeout: LockTimeoutOption = None,
) -> None:
    """Publish the last `c360 build` for readers, if it was green.

    DuckDB: copy the warehouse to the file the app reads. PostgreSQL and Redshift: swap
    the audit schemas the build wrote in for the published ones, in one transaction (the
    old ones stay as <schema>__previous). Refuses (exit 1, one line) a build that failed,
    is still running, or (DuckDB) a warehouse changed since, e.g. by dbt run directly; what
    readers see stays as it was.
    """
    settings = Settings.resolve(
        warehouse=warehouse, published=published, target=target, lock_timeout=lock_timeout
    )
    console.print(f"Published {pipeline.publish_warehouse(settings)}")


redshift_app = typer.Typer(help="The Redshift target: check a cluster end to end.", no_args_is_help=True)
app.add_typer(redshift_app, name="redshift")


@redshift_app.command("check")
@one_line_errors
def redshift_check_command(
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
    endpoint_url: EndpointOption = None,
    lock_timeout: LockTimeoutOption = None,
) -> None:
    """Smoke-test a Redshift cluster, e.g. right after `terraform apply`.

    Under schemas of its own (C360_SCHEMA_PREFIX) and an S3 prefix of its own in --bucket, it
    lands a tiny sample, registers Spectrum, builds, audits, publishes, reads every published
    mart once, and drops what it made, printing one line per stage. The cluster comes from
    C360_REDSHIFT_HOST, C360_REDSHIFT_PORT, C360_REDSHIFT_USER, C360_REDSHIFT_DATABASE and
    DBT_ENV_SECRET_REDSHIFT_PASSWORD; the PII salt from C360_PII_SALT. Exits 1 if a stage failed.
    """
    settings = Settings.resolve(
        target="redshift",
        s3_endpoint_url=endpoint_url,
        lock_timeout=lock_timeout,
        schema_prefix=schema_prefix or redshift_check.new_prefix(),
    )

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


postgres_app = typer.Typer(help="The PostgreSQL target: set up a server for it.", no_args_is_help=True)
app.add_typer(postgres_app, name="postgres")


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
    from c360 import postgres_init

    result = postgres_init.init(admin_dsn)
    made = ", ".join(result.created) if result.created else "nothing new (the password was renewed)"
    console.print(
        f"PostgreSQL {result.host}:{result.port}/{result.database} as {result.user}: created {made}"
    )
    console.print(f"Password stored in {result.pgpass}. Next: c360 run --target postgres")


clv_app = typer.Typer(
    help="The predictive CLV models: check them against what customers did.", no_args_is_help=True
)
app.add_typer(clv_app, name="clv")


@clv_app.command("validate")
@one_line_errors
def clv_validate_command(
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
    lake: LakeOption = DEFAULT_LAKE,
    warehouse: WarehouseOption = DEFAULT_WAREHOUSE,
    published: PublishedOption = DEFAULT_PUBLISHED,
    target: TargetOption = DEFAULT_TARGET,
    lock_timeout: LockTimeoutOption = None,
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
    settings = Settings.resolve(
        lake=lake, warehouse=warehouse, published=published, target=target, lock_timeout=lock_timeout
    )
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


@app.command("contracts")
@one_line_errors
def contracts_command(
    check: CheckOption = False,
) -> None:
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


@app.command("app")
@one_line_errors
def app_command(
    published: PublishedOption = DEFAULT_PUBLISHED,
    port: Annotated[int, typer.Option(help="Port to serve the app on.")] = 8501,
    address: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 to be reachable from other machines.")
    ] = "127.0.0.1",
    target: TargetOption = DEFAULT_TARGET,
) -> None:
    """Start the Streamlit app on the published warehouse: the DuckDB copy (local target),
    or the published schemas on PostgreSQL or Redshift (--target, with the same C360_*
    variables as the build)."""
    settings = Settings.resolve(published=published, target=target)
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


@app.command("docs")
@one_line_errors
def docs_command(
    lake: LakeOption = DEFAULT_LAKE,
    warehouse: WarehouseOption = DEFAULT_WAREHOUSE,
    target: TargetOption = DEFAULT_TARGET,
    serve: Annotated[bool, typer.Option(help="Serve the docs site after generating it.")] = False,
    lock_timeout: LockTimeoutOption = None,
) -> None:
    """Generate the dbt docs site (models, columns, tests, lineage) for the built warehouse.

    Writes one self-contained page that opens offline from the file system, on an
    overview of the layers and the marts; --serve also starts dbt's docs server.
    """
    settings = Settings.resolve(lake=lake, warehouse=warehouse, target=target, lock_timeout=lock_timeout)
    page = pipeline.generate_docs(settings)
    console.print(f"c360 docs: open file://{page}")
    if serve:
        run_dbt(settings, ["docs", "serve"])


if __name__ == "__main__":
    app()
