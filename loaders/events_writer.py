"""The one writer of clickstream events into the lake.

Both entry points use it: ``c360 land`` of an events export (each line a record) and the
Kinesis consumer Lambda (each Kinesis record a record). It decodes, parses and validates
each record against the events contract, adds lineage, and writes

- valid records, grouped by the UTC date and hour they occurred, as one gzip NDJSON file
  per (batch, dt, hr): ``raw/web/events/dt=D/hr=H/<shard>-<first seq>-<last seq>.json.gz``;
- every other record, with its reason, origin and original payload, to
  ``quarantine/web/events/dt=<arrival date>/``.

Keys are deterministic, so writing the same batch twice is a no-op. Nothing is dropped:
``written + already_landed + quarantined == received`` for every batch.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loaders import lake as lake_paths
from loaders.contracts import contract, violation

ENTITY = "events"


@dataclass(frozen=True)
class RawRecord:
    """One record as it arrived: its bytes and where it came from."""

    shard_id: str
    sequence_number: str
    data: bytes
    arrival_at: datetime


@dataclass
class WriteResult:
    received: int = 0
    written: int = 0
    already_landed: int = 0
    quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    def add(self, other: WriteResult) -> None:
        self.received += other.received
        self.written += other.written
        self.already_landed += other.already_landed
        self.quarantined += other.quarantined
        for reason, count in other.quarantine_reasons.items():
            self.quarantine_reasons[reason] = self.quarantine_reasons.get(reason, 0) + count


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_record(record: RawRecord) -> tuple[dict[str, Any] | None, str | None]:
    """The parsed event, or None and the reason it breaks the contract."""
    limit = int(contract(ENTITY).schema["x-max-record-bytes"])
    if len(record.data) > limit:
        return None, f"oversize: record is {len(record.data)} bytes, over the {limit}-byte limit"
    try:
        text = record.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8: {exc.reason} at byte {exc.start}"
    try:
        event = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON: {exc.msg} at column {exc.colno}"
    reason = violation(ENTITY, event)
    if reason is not None:
        return None, f"contract: {reason}"
    return event, None


def _quarantine_entry(record: RawRecord, reason: str) -> dict[str, Any]:
    try:
        payload: dict[str, str] = {"payload": record.data.decode("utf-8")}
    except UnicodeDecodeError:
        payload = {"payload_base64": base64.b64encode(record.data).decode("ascii")}
    return {
        "reason": reason,
        "origin": {
            "shard_id": record.shard_id,
            "sequence_number": record.sequence_number,
            "arrival_at": _iso(record.arrival_at),
        },
        **payload,
    }


def _write_ndjson_gz(target: Path, rows: list[dict[str, Any]]) -> bool:
    """Write rows atomically; False (and nothing written) when the key already exists."""
    if target.exists():
        return False
    body = "".join(json.dumps(row, separators=(",", ":"), ensure_ascii=False) + "\n" for row in rows)
    with lake_paths.atomic_writer(target) as handle:
        handle.write(gzip.compress(body.encode("utf-8"), compresslevel=6, mtime=0))
    return True


def write_batch(lake: Path, records: list[RawRecord], landed_at: datetime | None = None) -> WriteResult:
    """Validate, enrich and write one batch of records from one shard (or one file)."""
    result = WriteResult(received=len(records))
    if not records:
        return result
    landed = _iso(landed_at or datetime.now(UTC))
    groups: dict[tuple[str, str], list[tuple[RawRecord, dict[str, Any]]]] = defaultdict(list)
    rejected: dict[str, list[tuple[RawRecord, str]]] = defaultdict(list)
    for record in records:
        event, reason = parse_record(record)
        if event is None:
            assert reason is not None
            rejected[record.arrival_at.astimezone(UTC).strftime("%Y-%m-%d")].append((record, reason))
            continue
        occurred = datetime.fromisoformat(event["occurred_at"]).astimezone(UTC)
        groups[(occurred.strftime("%Y-%m-%d"), occurred.strftime("%H"))].append((record, event))

    for (dt, hr), members in sorted(groups.items()):
        first, last = members[0][0], members[-1][0]
        target = lake_paths.events_file(
            lake, dt, hr, first.shard_id, first.sequence_number, last.sequence_number
        )
        rows = [
            {
                **event,
                "_kinesis_shard_id": record.shard_id,
                "_kinesis_sequence_number": record.sequence_number,
                "_kinesis_arrival_at": _iso(record.arrival_at),
                "_landed_at": landed,
            }
            for record, event in members
        ]
        if _write_ndjson_gz(target, rows):
            result.written += len(rows)
        else:
            result.already_landed += len(rows)

    for dt, bad in sorted(rejected.items()):
        name = f"{bad[0][0].shard_id}-{bad[0][0].sequence_number}-{bad[-1][0].sequence_number}"
        target = lake_paths.quarantine_file(lake, "web", ENTITY, dt, name)
        _write_ndjson_gz(target, [_quarantine_entry(record, reason) for record, reason in bad])
        result.quarantined += len(bad)
        for _record, reason in bad:
            kind = reason.split(":", 1)[0]
            result.quarantine_reasons[kind] = result.quarantine_reasons.get(kind, 0) + 1
    return result
