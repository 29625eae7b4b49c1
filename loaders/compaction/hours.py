"""Compaction: many small raw event files of an hour -> a few zstd Parquet files.

The Kinesis consumer writes one small gzip NDJSON object per (batch, dt, hr). Scanning
thousands of them is slow on every engine, so compaction rewrites each hour of raw events
as Parquet files of about ``target_bytes`` (default 128 MB)::

    raw/web/events/dt=D/hr=H/*.json.gz  ->  compacted/web/events/dt=D/hr=H/part-<run>-NNNNN.parquet
                                            compacted/web/events/dt=D/hr=H/_manifest.json

- Nothing is lost or changed: every raw row is kept (dedup is staging's job), typed from the
  contract, with ``_source_file`` naming the raw object it came from. Row counts are checked
  against the raw input before anything is committed.
- Atomic: parts are written and verified in a local temporary folder, then put in the lake
  (each part one atomic object); writing ``_manifest.json`` is the commit. Readers take
  only the parts a manifest lists (dbt staging on DuckDB; ``c360 spectrum`` registers an
  hour only once its manifest exists), so a half-finished run is never visible. Parts of
  an earlier run are deleted after the new manifest is in place.
- Idempotent: the manifest lists the raw inputs it covers; compacting an hour whose raw
  files have not changed is a no-op, and late raw files make the hour compact again.

The Glue job (``loaders.glue_compaction``) runs this same function against S3.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json
import pyarrow.parquet as pq
from isal import igzip

from loaders.contracts import LINEAGE_STRINGS, LINEAGE_TIMESTAMPS, contract
from loaders.lake import layout
from loaders.lake.lines import GZIP_ERRORS, bounded_lines
from loaders.lake.storage import Lake

DEFAULT_TARGET_BYTES = 128 * 1024 * 1024
BATCH_BYTES = 16 * 1024 * 1024  # raw JSON parsed at a time
# The longest raw line c360 writes: a record at the contract's limit, plus its lineage fields.
RAW_LINE_LIMIT = int(contract("events").schema["x-max-record-bytes"]) + 4096
ROW_GROUP_ROWS = 131_072


class CompactionError(RuntimeError):
    """Compaction could not run or its output did not match its input; nothing was committed."""


def events_schema() -> pa.Schema:
    """The compacted events' Arrow schema, derived from the events contract plus lineage."""
    fields = []
    for name, spec in contract("events").schema["properties"].items():
        typed = pa.timestamp("us") if spec.get("format") == "date-time" else pa.string()
        fields.append(pa.field(name, typed, nullable=name not in contract("events").required))
    fields += [pa.field(name, pa.string()) for name in LINEAGE_STRINGS]
    fields += [pa.field(name, pa.timestamp("us")) for name in LINEAGE_TIMESTAMPS]
    fields.append(pa.field("_source_file", pa.string(), nullable=False))
    return pa.schema(fields)


@dataclass
class HourResult:
    dt: str
    hr: str
    status: str  # "compacted", "already compacted"
    input_files: int
    rows: int
    parts: list[str] = field(default_factory=list)
    input_bytes: int = 0
    output_bytes: int = 0


def _raw_batches(data: bytes, source_url: str, schema: pa.Schema) -> Iterator[pa.Table]:
    """A raw events object as typed tables of at most ``BATCH_BYTES`` of JSON each: the
    object is decompressed as a stream and read line by line in bounded chunks, so a raw
    file is never held whole uncompressed. A line over the record limit (none that c360's
    writer wrote) stops the hour's compaction, naming the file and the line."""
    batch: list[bytes] = []
    size = 0
    with igzip.IGzipFile(fileobj=io.BytesIO(data)) as handle:
        for line in bounded_lines(handle, RAW_LINE_LIMIT):
            if line.cut:
                raise CompactionError(f"{source_url}: {line.describe_cut()}; the hour stays raw")
            batch.append(line.data)
            size += len(line.data) + 1
            if size >= BATCH_BYTES:
                yield _read_raw(b"\n".join(batch), source_url, schema)
                batch, size = [], 0
    if batch:
        yield _read_raw(b"\n".join(batch), source_url, schema)


def _read_raw(lines: bytes, source_url: str, schema: pa.Schema) -> pa.Table:
    as_text = pa.schema([pa.field(f.name, pa.string()) for f in schema if f.name != "_source_file"])
    table = pa_json.read_json(
        io.BytesIO(lines),
        read_options=pa_json.ReadOptions(block_size=max(len(lines), 1 << 20)),
        parse_options=pa_json.ParseOptions(explicit_schema=as_text, unexpected_field_behavior="error"),
    )
    columns = []
    for schema_field in schema:
        if schema_field.name == "_source_file":
            columns.append(pa.array([source_url] * table.num_rows, pa.string()))
            continue
        column = table.column(schema_field.name)
        if pa.types.is_timestamp(schema_field.type):
            # The contract's date-time (RFC 3339) carries an offset: normalise to UTC, store
            # naive UTC. As staging reads it on every engine: `t` and `z` as `T` and `Z`, and
            # digits past the microsecond dropped, which Arrow's parser refuses otherwise.
            text = pc.replace_substring_regex(pc.utf8_upper(column), r"(\.\d{6})\d+", r"\1")
            column = pc.cast(pc.cast(text, pa.timestamp("us", tz="UTC")), schema_field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


class _PartWriter:
    """Writes Parquet parts of about ``target_bytes`` each into a local folder."""

    def __init__(
        self, folder: Path, run: str, schema: pa.Schema, target_bytes: int, row_group_rows: int
    ) -> None:
        self.folder = folder
        self.run = run
        self.schema = schema
        self.target_bytes = target_bytes
        self.row_group_rows = row_group_rows
        self.parts: list[Path] = []
        self._writer: pq.ParquetWriter | None = None
        self._buffer: list[pa.Table] = []
        self._buffered_rows = 0

    def add(self, table: pa.Table) -> None:
        self._buffer.append(table)
        self._buffered_rows += table.num_rows
        if self._buffered_rows >= self.row_group_rows:
            self._flush()

    def _flush(self) -> None:
        if not self._buffered_rows:
            return
        if self._writer is None:
            path = self.folder / f"part-{self.run}-{len(self.parts):05d}.parquet"
            self.parts.append(path)
            self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self._writer.write_table(pa.concat_tables(self._buffer), row_group_size=self.row_group_rows)
        self._buffer, self._buffered_rows = [], 0
        if self.parts[-1].stat().st_size >= self.target_bytes:
            self._writer.close()
            self._writer = None

    def close(self) -> list[Path]:
        self._flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        return self.parts


def raw_hours(lake: Lake, dt: str) -> list[str]:
    """The hours of ``dt`` that have raw event files."""
    keys = lake.list_keys(layout.raw_events_prefix(dt))
    return sorted({hour for key in keys if (hour := layout.partition_values(key).get("hr"))})


def compact_hour(
    lake: Lake,
    dt: str,
    hr: str,
    target_bytes: int = DEFAULT_TARGET_BYTES,
    row_group_rows: int = ROW_GROUP_ROWS,
) -> HourResult:
    inputs = [key for key in lake.list_keys(layout.raw_events_prefix(dt, hr)) if key.endswith(".json.gz")]
    if not inputs:
        raise CompactionError(f"no raw events in dt={dt} hr={hr}")
    prefix = layout.compacted_events_prefix(dt, hr)
    manifest_key = prefix + layout.MANIFEST
    previous = json.loads(lake.get_bytes(manifest_key)) if lake.exists(manifest_key) else None
    if previous is not None and previous["inputs"] == inputs:
        return HourResult(dt, hr, "already compacted", len(inputs), previous["rows"], previous["parts"])

    run = hashlib.sha256("\n".join(inputs).encode("utf-8")).hexdigest()[:12]
    schema = events_schema()
    result = HourResult(dt, hr, "compacted", len(inputs), 0)
    with tempfile.TemporaryDirectory(prefix="c360-compact-") as scratch:
        writer = _PartWriter(Path(scratch), run, schema, target_bytes, row_group_rows)
        for key in inputs:
            data = lake.get_bytes(key)
            result.input_bytes += len(data)
            try:
                for table in _raw_batches(data, lake.url(key), schema):
                    result.rows += table.num_rows
                    writer.add(table)
            except (pa.ArrowInvalid, *GZIP_ERRORS) as exc:
                raise CompactionError(f"{lake.url(key)}: cannot read as raw events ({exc})") from None
        parts = writer.close()
        written = sum(pq.read_metadata(part).num_rows for part in parts)
        if written != result.rows:
            raise CompactionError(
                f"dt={dt} hr={hr}: read {result.rows} rows but wrote {written}; nothing committed"
            )
        result.parts = [prefix + part.name for part in parts]
        result.output_bytes = sum(part.stat().st_size for part in parts)
        for part in parts:  # each part is one atomic object; the manifest below commits them
            lake.put_file(prefix + part.name, part)
        manifest = {"dt": dt, "hr": hr, "inputs": inputs, "rows": result.rows, "parts": result.parts}
        lake.put_bytes(manifest_key, json.dumps(manifest, indent=2).encode("utf-8"))
    stale = [key for key in (previous or {}).get("parts", []) if key not in result.parts]
    lake.delete(stale)
    return result


def compact(
    lake: Lake, dt: str, hour: str | None = None, target_bytes: int = DEFAULT_TARGET_BYTES
) -> list[HourResult]:
    """Compact one hour of ``dt``, or every hour of it that has raw files."""
    if hour is not None:
        return [compact_hour(lake, dt, f"{int(hour):02d}", target_bytes)]
    hours = raw_hours(lake, dt)
    if not hours:
        raise CompactionError(f"no raw events for dt={dt}")
    return [compact_hour(lake, dt, hr, target_bytes) for hr in hours]


def recompact_hour(lake: Lake, dt: str, hr: str) -> list[str]:
    """Compact an hour again after raw files left it; with none left, remove its compaction.

    Returns the hour (``dt=D/hr=H``) when its committed output changed.
    """
    prefix = layout.compacted_events_prefix(dt, hr)
    if lake.list_keys(layout.raw_events_prefix(dt, hr)):
        compact_hour(lake, dt, hr)
    else:  # the manifest goes first: readers stop taking the parts before they disappear
        manifest = json.loads(lake.get_bytes(prefix + layout.MANIFEST))
        lake.delete([prefix + layout.MANIFEST])
        lake.delete(list(manifest["parts"]))
    return [f"dt={dt}/hr={hr}"]


# An hour in one raw file gains nothing from compaction (one file becomes one file), so the
# pipeline leaves it raw; Kinesis batches give a busy hour many files.
MIN_FILES_TO_COMPACT = 2


@dataclass
class ClosedHoursResult:
    compacted: int = 0
    unchanged: int = 0
    too_few_files: int = 0
    left_raw: dict[str, str] = field(default_factory=dict)  # dt=D/hr=H -> why


def compact_closed_hours(
    lake: Lake,
    now: datetime | None = None,
    min_files: int = MIN_FILES_TO_COMPACT,
    workers: int | None = None,
) -> ClosedHoursResult:
    """Compact every hour of raw events except the current one (still receiving events).

    An hour whose raw files did not change since its compaction is skipped cheaply, and so
    is one with fewer than ``min_files`` raw files that was never compacted. An hour that
    cannot be compacted stays raw and is reported, not raised: compaction only speeds
    reading up, and a file no reader can open is named by the build that reads it.

    Hours are independent (each its own parts and manifest), so ``workers`` of them (by
    default one per core) are compacted at once: decompressing, parsing the JSON and
    writing Parquet run outside Python's lock.
    """
    moment = now or datetime.now(UTC)
    open_hour = (f"{moment:%Y-%m-%d}", f"{moment:%H}")
    files: dict[tuple[str, str], int] = {}
    for key in lake.list_keys(layout.RAW_EVENTS + "/"):
        values = layout.partition_values(key)
        if key.endswith(".json.gz") and "dt" in values and "hr" in values:
            hour_key = (values["dt"], values["hr"])
            files[hour_key] = files.get(hour_key, 0) + 1
    result = ClosedHoursResult()
    due: list[tuple[str, str]] = []
    for (day, hour), count in sorted(files.items()):
        if (day, hour) == open_hour:
            continue
        if count < min_files and not lake.exists(layout.compacted_events_prefix(day, hour) + layout.MANIFEST):
            result.too_few_files += 1
            continue
        due.append((day, hour))

    def outcome(hour_key: tuple[str, str]) -> str | CompactionError:
        try:
            return compact_hour(lake, *hour_key).status
        except CompactionError as error:
            return error

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for (day, hour), status in zip(due, pool.map(outcome, due), strict=True):
            if isinstance(status, CompactionError):
                result.left_raw[f"dt={day}/hr={hour}"] = str(status)
            elif status == "compacted":
                result.compacted += 1
            else:
                result.unchanged += 1
    return result
