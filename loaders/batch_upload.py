"""Land batch exports in the lake: shop CSVs unchanged, event exports through the events writer.

A CSV's header is checked against its contract before anything is written: a missing,
unexpected, repeated or misplaced column stops the whole landing with a one-line error
naming it.
Shop files are content-addressed (the name carries a SHA-256 prefix), so landing the same
file twice is a no-op, reported as ``already landed``. On an S3 lake a file goes up in one
PUT, or as a multipart upload above the lake's threshold, with SHA-256 checksums and SSE-KMS
(see ``loaders.lake.S3Lake``).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from loaders import lake as lake_keys
from loaders.contracts import ENTITIES, contract
from loaders.events_writer import RawRecord, WriteResult, write_batch
from loaders.lake import Lake

EVENT_SUFFIXES = (".jsonl.gz", ".json.gz", ".ndjson.gz", ".jsonl", ".ndjson")
EVENT_BATCH_LINES = 50_000
IGNORED_NAMES = frozenset({"answer_key.json"})


class ContractError(ValueError):
    """An input file does not match its contract; nothing was landed."""


@dataclass
class LandResult:
    source: Path
    entity: str
    status: str  # "landed" or "already landed"
    rows: int
    target: str | None = None
    quarantined: int = 0


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


def check_header(path: Path, entity: str) -> None:
    expected = contract(entity).columns
    with path.open(newline="", encoding="utf-8-sig") as handle:
        try:
            header = next(csv.reader(handle))
        except StopIteration:
            raise ContractError(f"{path.name}: empty file, expected a header row") from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ContractError(f"{path.name}: unreadable header ({exc})") from None
    header = [column.strip() for column in header]
    for column in header:
        if header.count(column) > 1:
            raise ContractError(f"{path.name}: column '{column}' appears more than once")
    for column in expected:
        if column not in header:
            raise ContractError(f"{path.name}: missing column '{column}' (contract {entity})")
    for column in header:
        if column not in expected:
            raise ContractError(f"{path.name}: unexpected column '{column}' (contract {entity})")
    # dbt reads the files with the contract's column list, so the order must match too.
    for position, (found, wanted) in enumerate(zip(header, expected, strict=True), start=1):
        if found != wanted:
            raise ContractError(
                f"{path.name}: column '{found}' is at position {position}, the contract puts '{wanted}' there"
            )


def _count_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


def find_landed(lake: Lake, entity: str, sha256: str) -> str | None:
    """The key of the file already landed with this content, whatever day it was landed on."""
    suffix = f"_{sha256[: lake_keys.SHA_PREFIX_LEN]}.csv"
    return next((key for key in lake.list_keys(lake_keys.shop_prefix(entity)) if key.endswith(suffix)), None)


def land_csv(path: Path, lake: Lake, entity: str, now: datetime | None = None) -> LandResult:
    sha256 = lake_keys.sha256_file(path)
    existing = find_landed(lake, entity, sha256)
    rows = _count_rows(path)
    if existing is not None:
        return LandResult(path, entity, "already landed", rows, lake.url(existing))
    key = lake_keys.shop_key(entity, now or datetime.now(UTC), sha256)
    lake.put_file(key, path, sha256)
    return LandResult(path, entity, "landed", rows, lake.url(key))


def _event_lines(path: Path) -> Iterator[bytes]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        for line in handle:
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield line


def land_events(path: Path, lake: Lake, now: datetime | None = None) -> LandResult:
    """Feed an events export through the events writer, in batches of lines.

    The file plays the part of a Kinesis shard: shard id ``file-<sha256 prefix>`` and the
    line number as sequence number, so landing the same file again writes the same keys.
    """
    landed_at = now or datetime.now(UTC)
    shard = f"file-{lake_keys.sha256_file(path)[: lake_keys.SHA_PREFIX_LEN]}"
    total = WriteResult()
    batch: list[RawRecord] = []
    for number, line in enumerate(_event_lines(path), start=1):
        batch.append(RawRecord(shard, f"{number:010d}", line, landed_at))
        if len(batch) == EVENT_BATCH_LINES:
            total.add(write_batch(lake, batch, landed_at))
            batch = []
    total.add(write_batch(lake, batch, landed_at))
    if total.retry_from is not None:
        # A file has no one to retry for it: fail loudly; landing it again resumes safely.
        raise OSError(f"{path.name}: {total.not_written} events not written: {total.errors[0]}")
    status = "already landed" if total.written == 0 and total.already_landed > 0 else "landed"
    return LandResult(path, "events", status, total.received, None, total.quarantined)


def input_files(source: Path) -> list[Path]:
    """The landable files of a file or folder (sorted, so landing order is reproducible)."""
    if not source.exists():
        raise ContractError(f"{source}: no such file or folder")
    if source.is_file():
        return [source]
    return sorted(
        p
        for p in source.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name not in IGNORED_NAMES
    )


def land(source: Path, lake: Lake, now: datetime | None = None) -> list[LandResult]:
    """Land a file or every file of a folder. Every file is checked before any is landed."""
    files = input_files(source)
    plan = [(path, entity_for(path)) for path in files]
    for path, entity in plan:
        if contract(entity).file_format == "csv":
            check_header(path, entity)
    results = []
    for path, entity in plan:
        if contract(entity).file_format == "csv":
            results.append(land_csv(path, lake, entity, now))
        else:
            results.append(land_events(path, lake, now))
    return results
