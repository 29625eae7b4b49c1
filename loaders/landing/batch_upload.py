"""Land batch exports in the lake: shop CSVs checked row by row, event exports through the events writer.

Everything is read before anything lands. For every file given (files, or folders of
them) this reads every row first, and only when all of them can be landed does it write:
a folder is all or nothing, and so is one ``c360 land`` call.

- **A file that cannot be read is refused whole**, in one line naming it: a header that
  breaks the contract (a missing, unexpected, repeated or misplaced column), text that is
  not in the export's encoding (naming the line and byte; ``encoding="cp1252"`` or ``c360
  land --encoding`` transcodes an export known not to be UTF-8), a gzip file that ends
  early.
- **A bad row costs one quarantine entry, never its file.** A CSV row with the wrong number
  of fields, a malformed quote or a NUL character goes to
  ``quarantine/shop/<entity>/dt=D/`` with the file, line and reason and its text; the rest
  of the export lands. An events line is decided by the events writer's decoder.
- What lands is readable by every engine: an export with nothing to remove lands
  unchanged; otherwise its good rows land as normalised UTF-8 CSV (same header, ``\\n``
  line ends, minimal quoting).

Shop files are content-addressed: the name carries a prefix of the SHA-256 of the export as
received, so landing the same export twice is a no-op, reported as ``already landed``. On
an S3 lake a file goes up in one PUT, or as a multipart upload above the lake's threshold,
with SHA-256 checksums and SSE-KMS (see ``loaders.lake.S3Lake``).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import itertools
import json
import multiprocessing
import os
import tempfile
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from isal import igzip

from loaders.compaction.hours import recompact_hour
from loaders.contracts import ENTITIES, contract
from loaders.lake import layout, receipts
from loaders.lake.lines import GZIP_ERRORS, Line, bounded_lines
from loaders.lake.storage import Lake
from loaders.landing.events_writer import (
    MAX_RECORD_BYTES,
    PlannedBatch,
    RawRecord,
    WriteResult,
    plan_batch,
    write_planned,
)

EVENT_SUFFIXES = (".jsonl.gz", ".json.gz", ".ndjson.gz", ".jsonl", ".ndjson")
EVENT_BATCH_LINES = 50_000
CHECK_CHUNK_BYTES = 1 << 20
IGNORED_NAMES = frozenset({"answer_key.json"})
DEFAULT_ENCODING = "utf-8"
MAX_CSV_LINE_BYTES = 1024 * 1024  # a longer line is quarantined with its first bytes and length


class ContractError(ValueError):
    """An input file cannot be landed as it is; nothing was landed."""


@dataclass
class LandResult:
    source: Path
    entity: str
    status: str  # "landed" or "already landed"
    rows: int  # rows (or event lines) read, the quarantined ones included
    target: str | None = None
    quarantined: int = 0


@dataclass
class QuarantinedRow:
    line: int
    reason: str
    text: str  # the row's text (a cut line: its first bytes)
    length: int | None = None  # a cut line's full length in bytes


@dataclass
class CsvExport:
    """A CSV export read in full: its good rows (in a normalised copy) and its bad rows."""

    path: Path
    entity: str
    sha256: str
    rows: int = 0
    quarantined: list[QuarantinedRow] = field(default_factory=list)
    normalised: Path | None = None  # the copy to land; None lands the file unchanged


def entity_for(path: Path) -> str:
    """The raw entity a file holds, from its name (``customers_update.csv`` -> customers)."""
    name = path.name.lower()
    for entity in ENTITIES:
        if not name.startswith(entity):
            continue
        if contract(entity).file_format == "csv" and name.endswith(".csv"):
            return entity
        if contract(entity).file_format == "ndjson" and name.endswith(EVENT_SUFFIXES):
            return entity
    raise ContractError(
        f"{path.name}: cannot tell which entity this is; name it after one of {', '.join(ENTITIES)}"
        " (.csv for shop exports, .jsonl.gz for events)"
    )


def check_header(name: str, header: list[str], entity: str) -> None:
    expected = contract(entity).columns
    header = [column.strip() for column in header]
    for column in header:
        if header.count(column) > 1:
            raise ContractError(f"{name}: column '{column}' appears more than once")
    for column in expected:
        if column not in header:
            raise ContractError(f"{name}: missing column '{column}' (contract {entity})")
    for column in header:
        if column not in expected:
            raise ContractError(f"{name}: unexpected column '{column}' (contract {entity})")
    # dbt reads the files with the contract's column list, so the order must match too.
    for position, (found, wanted) in enumerate(zip(header, expected, strict=True), start=1):
        if found != wanted:
            raise ContractError(
                f"{name}: column '{found}' is at position {position}, the contract puts '{wanted}' there"
            )


def _decoded_lines(
    path: Path, encoding: str, consumed: list[str], digest: Any, cut: list[Line]
) -> Iterator[str]:
    """The file's lines as text, each also appended to ``consumed`` (the current row's text);
    ``digest`` (a hashlib object) sees every byte, so the file is read once.

    Lines are read in bounded chunks: a line over ``MAX_CSV_LINE_BYTES`` is appended to
    ``cut`` (its first bytes and its length) and read as a blank line, never held whole.
    Decoding is strict: the first byte that is not ``encoding`` refuses the file, naming
    the line and the byte offset in the file.
    """
    decoder = codecs.getincrementaldecoder(
        "utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding
    )()
    offset = 0
    with path.open("rb") as handle:
        for line in bounded_lines(handle, MAX_CSV_LINE_BYTES, seen=digest.update):
            if line.cut:
                offset += line.length + line.ended
                cut.append(line)
                yield "\n"
                continue
            raw = line.data + b"\n" if line.ended else line.data
            try:
                text = decoder.decode(raw)
            except UnicodeDecodeError as exc:
                raise ContractError(
                    f"{path.name}: line {line.number}, byte {offset + exc.start}: not {encoding}"
                    f" ({exc.reason}); if the export uses another encoding, land it with --encoding"
                    " (e.g. cp1252)"
                ) from None
            offset += len(raw)
            consumed.append(text)
            yield text
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise ContractError(
                f"{path.name}: ends inside a character: not {encoding} ({exc.reason})"
            ) from None


def read_csv_export(path: Path, entity: str, scratch: Path, encoding: str = DEFAULT_ENCODING) -> CsvExport:
    """Read every row of a CSV export; keep the good rows in a normalised copy under ``scratch``."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ContractError(f"--encoding {encoding}: not an encoding Python knows") from None
    export = CsvExport(path, entity, sha256="")
    consumed: list[str] = []
    cut: list[Line] = []
    digest = hashlib.sha256()
    reader = csv.reader(_decoded_lines(path, encoding, consumed, digest, cut), strict=True)
    normalised = scratch / f"{path.name}.{id(export)}.csv"
    changed = encoding.lower() not in ("utf-8", "utf8")
    with normalised.open("w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink, lineterminator="\n")
        try:
            header = next(reader)
        except StopIteration:
            raise ContractError(f"{path.name}: empty file, expected a header row") from None
        except csv.Error as exc:
            raise ContractError(f"{path.name}: unreadable header ({exc})") from None
        check_header(path.name, header, entity)
        writer.writerow([column.strip() for column in header])
        while True:
            consumed.clear()
            first_line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                reason = f"malformed CSV: {exc}"
                cut.clear()
            else:
                if cut:  # the row holds a line over the limit (read as a line end): quarantined
                    line = cut.pop()
                    cut.clear()
                    head = line.data.decode(encoding, errors="replace")
                    export.quarantined.append(
                        QuarantinedRow(line.number, line.describe_cut(), head, line.length)
                    )
                    changed = True
                    continue
                if not row:  # a blank line: nothing to keep, but other readers stumble on it
                    changed = True
                    continue
                if len(row) != len(header):
                    reason = f"wrong number of fields: {len(row)}, the header has {len(header)}"
                elif any("\x00" in value for value in row):
                    reason = "NUL: a field holds a NUL character"
                else:
                    writer.writerow(row)
                    export.rows += 1
                    continue
            export.quarantined.append(QuarantinedRow(first_line, reason, "".join(consumed)))
            changed = True
    export.sha256 = digest.hexdigest()
    export.normalised = normalised if changed else None
    return export


def _quarantine_bytes(export: CsvExport, landed_as: str) -> bytes:
    lines = (
        json.dumps(
            {
                "reason": row.reason,
                "origin": {"file": export.path.name, "line": row.line, "landed_as": landed_as},
                "payload": row.text,
                **({"length": row.length} if row.length is not None else {}),
            },
            ensure_ascii=False,
        )
        for row in export.quarantined
    )
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0)


def find_landed(lake: Lake, entity: str, sha256: str) -> str | None:
    """The key of the file already landed from this export, whatever day it was landed on."""
    suffix = f"_{sha256[: layout.SHA_PREFIX_LEN]}.csv"
    return next((key for key in lake.list_keys(layout.shop_prefix(entity)) if key.endswith(suffix)), None)


def land_csv(export: CsvExport, lake: Lake, now: datetime) -> tuple[LandResult, list[str]]:
    """Land one checked export; the keys written (for undoing an all-or-nothing landing)."""
    total = export.rows + len(export.quarantined)
    receipt = receipts.Receipt(
        total,
        export.rows,
        len(export.quarantined),
        receipts.stamp(now),
        receipts.reason_counts(row.reason for row in export.quarantined),
    )
    existing = find_landed(lake, export.entity, export.sha256)
    if existing is not None:
        # A landing killed before its receipt left the file without one: write it now.
        receipts.write(lake, existing, receipt)
        result = LandResult(export.path, export.entity, "already landed", total, lake.url(existing))
        result.quarantined = len(export.quarantined)
        return result, []
    key = layout.shop_key(export.entity, now, export.sha256)
    written = []
    if export.quarantined:  # first, so no landed file is ever without its quarantined rows
        name = Path(key).name.removesuffix(".csv")
        quarantine_key = layout.quarantine_key("shop", export.entity, f"{now:%Y-%m-%d}", name)
        lake.put_bytes(quarantine_key, _quarantine_bytes(export, key))
        written.append(quarantine_key)
    lake.put_file(key, export.normalised or export.path, None if export.normalised else export.sha256)
    written.append(key)
    receipts.write(lake, key, receipt)
    written.append(layout.receipt_key(key))
    result = LandResult(export.path, export.entity, "landed", total, lake.url(key), len(export.quarantined))
    return result, written


def _event_lines(path: Path) -> Iterator[Line]:
    """The non-blank lines of an events export, read in bounded chunks: a line over the
    record limit comes cut (its first bytes and its length), to be quarantined."""
    opener = igzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        for line in bounded_lines(handle, MAX_RECORD_BYTES):
            if line.cut:
                yield line
            elif not line.data.strip():
                continue
            elif line.data.endswith(b"\r"):
                yield Line(line.number, line.data[:-1], line.length)
            else:
                yield line


def check_events_file(path: Path) -> None:
    """Decompress an events export to its end: a gzip that is cut short or corrupt is refused
    whole. Its lines are read once, when it lands; this pass only checks the stream (its
    CRC and length), in chunks."""
    opener = igzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            while handle.read(CHECK_CHUNK_BYTES):
                pass
    except GZIP_ERRORS as exc:
        raise ContractError(f"{path.name}: cannot be read to its end ({exc}); nothing was landed") from None


@dataclass
class _LineBatch:
    """``EVENT_BATCH_LINES`` lines of an events export: plain bytes, cheap to send to a worker."""

    first_number: int
    lines: list[bytes] = field(default_factory=list)
    cut_lengths: dict[int, int] = field(default_factory=dict)  # index -> full length of a cut line


def _line_batches(path: Path) -> Iterator[_LineBatch]:
    batch = _LineBatch(1)
    for number, line in enumerate(_event_lines(path), start=1):
        if line.cut:
            batch.cut_lengths[len(batch.lines)] = line.length
        batch.lines.append(line.data)
        if len(batch.lines) == EVENT_BATCH_LINES:
            yield batch
            batch = _LineBatch(number + 1)
    if batch.lines:
        yield batch


def _plan_lines(shard: str, batch: _LineBatch, landed_at: datetime) -> PlannedBatch:
    """A batch of lines as records of the file's shard (the n-th line is sequence number n)."""
    records = [
        RawRecord(shard, f"{batch.first_number + index:010d}", data, landed_at, batch.cut_lengths.get(index))
        for index, data in enumerate(batch.lines)
    ]
    return plan_batch(records, landed_at)


def _planned(
    shard: str, batches: Iterator[_LineBatch], landed_at: datetime, workers: int
) -> Iterator[PlannedBatch]:
    """Each batch planned (decoded, checked, placed, compressed), in order.

    Planning is most of landing's work and each batch is independent, so a file of more than
    one batch is planned by ``workers`` processes while this one reads its lines and writes
    what comes back; at most two batches per worker are in flight, so memory stays bounded.
    The workers only compute (no lake, no files): they are forked, which costs no imports.
    """
    ahead = list(itertools.islice(batches, 2))
    if len(ahead) < 2 or workers < 2:
        for batch in itertools.chain(ahead, batches):
            yield _plan_lines(shard, batch, landed_at)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[PlannedBatch]] = deque()
        for batch in itertools.chain(ahead, batches):
            pending.append(pool.submit(_plan_lines, shard, batch, landed_at))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def land_events(
    path: Path, lake: Lake, now: datetime | None = None, workers: int | None = None
) -> LandResult:
    """Feed an events export through the events writer, in batches of lines, planned by
    ``workers`` processes (default: one per core) and written in order.

    The file plays the part of a Kinesis shard: shard id ``file-<sha256 prefix>`` and the
    line number as sequence number, so landing the same file again writes the same keys.
    """
    landed_at = now or datetime.now(UTC)
    shard = f"file-{layout.sha256_file(path)[: layout.SHA_PREFIX_LEN]}"
    total = WriteResult()
    batches = _line_batches(path)
    for planned in _planned(shard, batches, landed_at, workers or os.cpu_count() or 1):
        total.add(write_planned(lake, planned, landed_at))
    if total.retry_from is not None:
        # A file has no one to retry for it: fail loudly; landing it again resumes safely.
        raise OSError(f"{path.name}: {total.not_written} events not written: {total.errors[0]}")
    status = "already landed" if total.written == 0 and total.already_landed > 0 else "landed"
    return LandResult(path, "events", status, total.received, None, total.quarantined)


def input_files(sources: Sequence[Path]) -> list[Path]:
    """The landable files of the given files and folders (each folder sorted: reproducible)."""
    files: list[Path] = []
    for source in sources:
        if not source.exists():
            raise ContractError(f"{source}: no such file or folder")
        if source.is_file():
            files.append(source)
            continue
        files.extend(
            sorted(
                p
                for p in source.iterdir()
                if p.is_file() and not p.name.startswith(".") and p.name not in IGNORED_NAMES
            )
        )
    return files


def land(
    sources: Path | Sequence[Path],
    lake: Lake,
    now: datetime | None = None,
    encoding: str = DEFAULT_ENCODING,
) -> list[LandResult]:
    """Land files and folders: every row of every file is read before anything lands.

    If writing fails part-way (a full disk, S3 unavailable), the shop files this call had
    landed are removed again; events already written stay, and landing again resumes.
    """
    moment = now or datetime.now(UTC)
    files = input_files([sources] if isinstance(sources, Path) else list(sources))
    plan = [(path, entity_for(path)) for path in files]
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="c360-land-")))
        exports: dict[Path, CsvExport] = {}
        for path, entity in plan:
            if contract(entity).file_format == "csv":
                exports[path] = read_csv_export(path, entity, scratch, encoding)
            else:
                check_events_file(path)
        results: list[LandResult] = []
        written: list[str] = []
        try:
            for path, _entity in plan:
                if path in exports:
                    result, keys = land_csv(exports[path], lake, moment)
                    written.extend(keys)
                    results.append(result)
                else:
                    results.append(land_events(path, lake, moment))
        except BaseException:
            lake.delete(written)
            raise
    return results


# --- taking a landed file back -----------------------------------------------------------


@dataclass
class UnlandResult:
    key: str
    kept_as: str  # where the file now is, under quarantine/
    recompacted: list[str] = field(default_factory=list)  # compacted hours rewritten without it


def unland(lake: Lake, key: str, reason: str, now: datetime | None = None) -> UnlandResult:
    """Take a landed raw file back out of the lake's raw area, keeping it in quarantine.

    For a file that should never have landed (one an older c360 let through, or an export
    sent by mistake): the file moves to ``quarantine/<source>/<entity>/unlanded/D/`` with a
    JSON note of the reason and where it was, so nothing is lost, and the next build no
    longer reads it (the PostgreSQL raw loader drops its rows too). A compacted hour that
    held its events is compacted again without them.
    """
    moment = now or datetime.now(UTC)
    key = key.strip("/")
    if not key.startswith("raw/") or not lake.exists(key):
        raise ContractError(
            f"{key}: not a landed file; give its key under raw/, e.g. {layout.shop_prefix('customers')}..."
        )
    if not reason.strip():
        raise ContractError("--reason: say why the file is taken back; it is kept with the file")
    _raw, source, entity, *_rest = key.split("/")
    name = key.rsplit("/", 1)[1]
    kept = f"quarantine/{source}/{entity}/unlanded/dt={moment:%Y-%m-%d}/{name}"
    note = {"reason": reason, "origin": {"key": key}, "unlanded_at": moment.isoformat(timespec="seconds")}
    lake.put_bytes(kept, lake.get_bytes(key))  # copied first: a crash leaves two copies, never none
    lake.put_bytes(kept + ".json", json.dumps(note, ensure_ascii=False).encode("utf-8"))
    receipts.move_with(lake, key, kept)  # its rows now count as unlanded
    lake.delete([key])
    result = UnlandResult(key, kept)
    values = layout.partition_values(key)
    if entity == "events" and lake.exists(
        layout.compacted_events_prefix(values["dt"], values["hr"]) + layout.MANIFEST
    ):
        result.recompacted = recompact_hour(lake, values["dt"], values["hr"])
    return result
