"""Ingest: sample data, landing export files, the clickstream, compaction, taking a file back."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from c360.cli.options import INGEST, JsonOption, console, errors, one_line_errors, takes_settings
from c360.settings import Settings
from c360.warehouse.sources import lake_for
from loaders.compaction.hours import DEFAULT_TARGET_BYTES, compact
from loaders.generator import DEFAULT_END_DATE, generate
from loaders.lake.storage import DEFAULT_MULTIPART_THRESHOLD
from loaders.landing.batch_upload import DEFAULT_ENCODING, LandResult, land, unland
from loaders.streaming import event_source_mapping, kinesis_consumer, kinesis_producer

app = typer.Typer()


def land_table(results: list[LandResult]) -> Table:
    table = Table("file", "entity", "status", "rows", "quarantined", title="Landed")
    for result in results:
        table.add_row(
            result.source.name, result.entity, result.status, f"{result.rows:,}", f"{result.quarantined:,}"
        )
    return table


@app.command("generate", rich_help_panel=INGEST)
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


@app.command("land", rich_help_panel=INGEST)
@one_line_errors
@takes_settings("lake", "endpoint_url", "kms_key_id")
def land_command(
    settings: Settings,
    sources: Annotated[
        list[Path], typer.Argument(help="Export files and folders of them (all are read before any lands).")
    ],
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
    target = lake_for(settings, multipart_threshold=multipart_threshold_mb * 1024 * 1024)
    with console.status(f"Landing {len(sources)} path(s) in {target.uri} ..."):
        results = land(sources, target, encoding=encoding)
    if not as_json:
        console.print(land_table(results))
        return
    landed = [
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
    console.print_json(json.dumps(landed))


@app.command("unland", rich_help_panel=INGEST)
@one_line_errors
@takes_settings("lake", "endpoint_url")
def unland_command(
    settings: Settings,
    keys: Annotated[
        list[str], typer.Argument(help="Lake keys of landed files, e.g. raw/shop/customers/.../x.csv.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why the file is taken back (kept beside it).")],
) -> None:
    """Take landed files back: each moves to quarantine/<source>/<entity>/unlanded/ with its reason.

    For a file that should never have landed. Nothing is lost (the file and a note of why
    and where it was are kept in quarantine), the next build no longer reads it, and a
    compacted hour that held its events is compacted again without them.
    """
    target = lake_for(settings)
    for key in keys:
        result = unland(target, key, reason)
        recompacted = f"; compacted again: {', '.join(result.recompacted)}" if result.recompacted else ""
        console.print(f"{result.key} -> {result.kept_as}{recompacted}", highlight=False, soft_wrap=True)


@app.command("stream", rich_help_panel=INGEST)
@one_line_errors
@takes_settings("endpoint_url", "lake")
def stream_command(
    settings: Settings,
    source: Annotated[Path, typer.Option("--from", help="Events file, one JSON object per line.")],
    to: Annotated[str, typer.Option("--to", help="kinesis://STREAM, or local (the consumer, in-process).")],
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
        sink = kinesis_producer.LocalSink(lake_for(settings), batch_size=batch_size, shards=shards)
    else:
        client = kinesis_producer.kinesis_client(settings.s3_endpoint_url)
        sink = kinesis_producer.KinesisSink(client, target.stream)
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
        report.keep_failures(kept)
        note = f"{len(report.failed):,} records not sent; kept with their reasons in {kept}"
        errors.print(note, highlight=False, soft_wrap=True)
        raise typer.Exit(1)


@app.command("consume", rich_help_panel=INGEST)
@one_line_errors
@takes_settings("endpoint_url", "lake")
def consume_command(
    settings: Settings,
    source: Annotated[str, typer.Option("--from", help="kinesis://STREAM to read.")],
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
    with console.status(f"Consuming {source} into {settings.lake} ..."):
        report = event_source_mapping.poll(
            kinesis_producer.kinesis_client(settings.s3_endpoint_url),
            stream_name,
            lake_for(settings),
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


@app.command("compact", rich_help_panel=INGEST)
@one_line_errors
@takes_settings("lake", "endpoint_url")
def compact_command(
    settings: Settings,
    day: Annotated[str, typer.Option("--date", help="Partition date to compact (YYYY-MM-DD).")],
    hour: Annotated[str | None, typer.Option("--hour", help="Only this hour (00-23); default: all.")] = None,
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
    with console.status(f"Compacting dt={day} ..."):
        results = compact(lake_for(settings), day, hour, target_mb * 1024 * 1024)
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
