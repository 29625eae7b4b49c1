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
from typing import Any, NamedTuple

import msgspec
from isal import igzip

from loaders import lake as lake_keys
from loaders.contracts import contract, fast_decoder, violation
from loaders.lake import Lake

ENTITY = "events"
MAX_RECORD_BYTES = int(contract(ENTITY).schema["x-max-record-bytes"])
FIELDS = len(contract(ENTITY).columns)
GZIP_LEVEL = 1  # isal levels run 0-3; 1 is several times faster than zlib at a similar size


class RawRecord(NamedTuple):
    """One record as it arrived: its bytes and where it came from (a tuple: cheap to make)."""

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
    """UTC, microseconds, ``Z``: the one timestamp format of the lineage fields."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


class _RepeatedKeyError(ValueError):
    pass


def _refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Python keeps the last of repeated keys; DuckDB and Arrow refuse the whole line.
    result = dict(pairs)
    if len(result) != len(pairs):
        keys = [key for key, _value in pairs]
        raise _RepeatedKeyError(repr(next(key for key in keys if keys.count(key) > 1)))
    return result


def parse_record(record: RawRecord) -> tuple[dict[str, Any] | None, str | None]:
    """The parsed event, or None and the reason it breaks the contract."""
    if len(record.data) > MAX_RECORD_BYTES:
        return None, f"oversize: record is {len(record.data)} bytes, over the {MAX_RECORD_BYTES}-byte limit"
    try:
        text = record.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8: {exc.reason} at byte {exc.start}"
    try:
        event = json.loads(text, object_pairs_hook=_refuse_repeated_keys)
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON: {exc.msg} at column {exc.colno}"
    except _RepeatedKeyError as exc:
        return None, f"malformed JSON: key {exc} appears more than once"
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


class _Lineage:
    """Builds each landed line: the record's own JSON with the lineage fields spliced in.

    Splicing before the closing brace keeps the producer's bytes exactly and costs far less
    than re-serialising every event. Within a batch only the sequence number changes from
    record to record, so the text around it is made once per shard and arrival time.
    """

    def __init__(self, landed_at: datetime) -> None:
        self.landed = _iso(landed_at)
        self._around: dict[tuple[str, datetime], tuple[bytes, bytes]] = {}

    def line(self, record: RawRecord, body: bytes) -> bytes:
        around = self._around.get((record.shard_id, record.arrival_at))
        if around is None:
            before = f',"_kinesis_shard_id":{json.dumps(record.shard_id)},"_kinesis_sequence_number":'
            after = f',"_kinesis_arrival_at":"{_iso(record.arrival_at)}","_landed_at":"{self.landed}"}}'
            around = self._around[(record.shard_id, record.arrival_at)] = (before.encode(), after.encode())
        sequence = record.sequence_number
        quoted = f'"{sequence}"' if sequence.isdigit() else json.dumps(sequence)
        return b"".join((body[:-1], around[0], quoted.encode(), around[1]))


def _partition_of(occurred_at: str) -> tuple[str, str] | str:
    """The UTC (dt, hr) of a contract-valid date-time, or why it cannot be placed."""
    if occurred_at[-1:] in ("Z", "z") or occurred_at[-6:] in ("+00:00", "-00:00"):
        return occurred_at[:10], occurred_at[11:13]  # already UTC; the format fixes the positions
    try:
        occurred = datetime.fromisoformat(occurred_at.upper()).astimezone(UTC)
    except ValueError as exc:  # the format allows a leap second, datetime does not
        return f"contract: occurred_at {occurred_at!r} is not a representable time ({exc})"
    utc = occurred.isoformat()  # isoformat is several times faster than strftime
    return utc[:10], utc[11:13]


def _place(record: RawRecord) -> tuple[tuple[str, str], bytes] | str:
    """One record's UTC (dt, hr) and landed line, or the reason it goes to quarantine.

    The fast decoder (derived from the contract) accepts most records in one pass; anything
    it refuses, or a record spread over several lines, is decided by ``parse_record``.
    """
    data = record.data
    body = data if data[:1] == b"{" and data[-1:] == b"}" else data.strip()
    decoder = fast_decoder(ENTITY)
    one_line = b"\n" not in body and b"\r" not in body
    if decoder is not None and one_line and len(record.data) <= MAX_RECORD_BYTES:
        try:
            event = decoder.decode(body)
        except msgspec.MsgspecError:
            pass
        else:
            # A repeated key decodes (the last wins) but DuckDB refuses the line, so the keys
            # written must match the fields set. Without escapes every quote is structural:
            # two per key and two per string value; with escapes, '":' not after a backslash
            # only follows a key.
            values = msgspec.structs.astuple(event)
            present = FIELDS - values.count(msgspec.UNSET)
            if b"\\" in body:
                keys_match = body.count(b'":') - body.count(b'\\":') == present
            else:
                keys_match = body.count(b'"') == 2 * (2 * present - values.count(None))
            if keys_match:
                partition = _partition_of(event.occurred_at)
                return partition if isinstance(partition, str) else (partition, body)
    event, reason = parse_record(record)
    if event is None:
        assert reason is not None
        return reason
    partition = _partition_of(event["occurred_at"])
    if isinstance(partition, str):
        return partition
    if not one_line:  # keep one record per line
        body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return partition, body


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
    lineage = _Lineage(landed_at or datetime.now(UTC))
    groups: dict[tuple[str, str], list[tuple[RawRecord, bytes]]] = defaultdict(list)
    rejected: dict[str, list[tuple[RawRecord, str]]] = defaultdict(list)
    for record in records:
        outcome = _place(record)
        if isinstance(outcome, str):
            rejected[_iso(record.arrival_at)[:10]].append((record, outcome))
        else:
            partition, body = outcome
            groups[partition].append((record, lineage.line(record, body)))

    for (dt, hr), members in sorted(groups.items()):
        first, last = members[0][0], members[-1][0]
        key = lake_keys.events_key(dt, hr, first.shard_id, first.sequence_number, last.sequence_number)
        try:
            written = _put_once(lake, key, [line for _record, line in members])
        except Exception as exc:  # any write failure makes exactly these records retryable
            result.fail([record for record, _line in members], f"{key}: {exc}")
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
