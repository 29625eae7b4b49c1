"""The one writer of clickstream events into the lake.

Both entry points use it: ``c360 land`` of an events export (each line a record) and the
Kinesis consumer Lambda (each Kinesis record a record). It decodes, parses and validates
each record against the events contract, adds lineage, and writes

- valid records, grouped by the UTC date and hour they occurred, as one gzip NDJSON file
  per (batch, dt, hr): ``raw/web/events/dt=D/hr=H/<shard>-<first seq>-<last seq>.json.gz``;
- every other record, with its reason, origin and original payload, to
  ``quarantine/web/events/dt=<arrival date>/``.

Keys are deterministic, so writing the same batch twice is a no-op. Nothing is dropped:
``written + already_landed + quarantined + len(failed) == received`` for every batch, and
the failed records are the ones the caller must retry.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from isal import igzip

from loaders import lake as lake_keys
from loaders.contracts import contract, violation
from loaders.lake import Lake

ENTITY = "events"
GZIP_LEVEL = 1  # isal levels run 0-3; 1 is several times faster than zlib at a similar size


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
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def fail(self, records: list[RawRecord], error: str) -> None:
        self.failed.extend(record.sequence_number for record in records)
        self.errors.append(error)

    def settled(self) -> WriteResult:
        """These counts without the failed records, which a retry will count again."""
        return WriteResult(
            received=self.received - len(self.failed),
            written=self.written,
            already_landed=self.already_landed,
            quarantined=self.quarantined,
            quarantine_reasons=dict(self.quarantine_reasons),
        )

    def add(self, other: WriteResult) -> None:
        self.received += other.received
        self.written += other.written
        self.already_landed += other.already_landed
        self.quarantined += other.quarantined
        for reason, count in other.quarantine_reasons.items():
            self.quarantine_reasons[reason] = self.quarantine_reasons.get(reason, 0) + count
        self.failed.extend(other.failed)
        self.errors.extend(other.errors)


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


def _with_lineage(record: RawRecord, landed: str) -> bytes:
    """The record's own JSON with the lineage fields spliced in before its closing brace.

    The payload was validated as a JSON object, so splicing keeps the producer's bytes
    exactly and costs far less than re-serialising every event.
    """
    body = record.data.rstrip()
    lineage = (
        f',"_kinesis_shard_id":{json.dumps(record.shard_id)}'
        f',"_kinesis_sequence_number":{json.dumps(record.sequence_number)}'
        f',"_kinesis_arrival_at":"{_iso(record.arrival_at)}","_landed_at":"{landed}"}}'
    )
    return body[:-1] + lineage.encode("utf-8")


def _gzip_lines(lines: list[bytes]) -> bytes:
    return igzip.compress(b"\n".join(lines) + b"\n", compresslevel=GZIP_LEVEL, mtime=0)  # type: ignore[no-any-return]


def _put_once(lake: Lake, key: str, lines: list[bytes]) -> bool:
    """Write the object unless its key exists; False when it was already there."""
    return lake.put_bytes_if_absent(key, _gzip_lines(lines))


def write_batch(lake: Lake, records: list[RawRecord], landed_at: datetime | None = None) -> WriteResult:
    """Validate, enrich and write one batch of records from one shard (or one file).

    A write that fails (S3 unavailable, a full disk) fails only the records of that object:
    their sequence numbers are in ``result.failed`` and the caller retries exactly those.
    """
    result = WriteResult(received=len(records))
    if not records:
        return result
    landed = _iso(landed_at or datetime.now(UTC))
    groups: dict[tuple[str, str], list[RawRecord]] = defaultdict(list)
    rejected: dict[str, list[tuple[RawRecord, str]]] = defaultdict(list)
    for record in records:
        event, reason = parse_record(record)
        if event is None:
            assert reason is not None
            rejected[record.arrival_at.astimezone(UTC).strftime("%Y-%m-%d")].append((record, reason))
            continue
        occurred = datetime.fromisoformat(event["occurred_at"]).astimezone(UTC)
        groups[(occurred.strftime("%Y-%m-%d"), occurred.strftime("%H"))].append(record)

    for (dt, hr), members in sorted(groups.items()):
        first, last = members[0], members[-1]
        key = lake_keys.events_key(dt, hr, first.shard_id, first.sequence_number, last.sequence_number)
        try:
            written = _put_once(lake, key, [_with_lineage(record, landed) for record in members])
        except Exception as exc:  # any write failure makes exactly these records retryable
            result.fail(members, f"{key}: {exc}")
            continue
        if written:
            result.written += len(members)
        else:
            result.already_landed += len(members)

    for dt, bad in sorted(rejected.items()):
        name = f"{bad[0][0].shard_id}-{bad[0][0].sequence_number}-{bad[-1][0].sequence_number}"
        key = lake_keys.quarantine_key("web", ENTITY, dt, name)
        entries = [
            json.dumps(_quarantine_entry(record, reason), ensure_ascii=False).encode("utf-8")
            for record, reason in bad
        ]
        try:
            _put_once(lake, key, entries)
        except Exception as exc:  # quarantine must not lose records either: retry them
            result.fail([record for record, _reason in bad], f"{key}: {exc}")
            continue
        result.quarantined += len(bad)
        for _record, reason in bad:
            kind = reason.split(":", 1)[0]
            result.quarantine_reasons[kind] = result.quarantine_reasons.get(kind, 0) + 1
    return result
