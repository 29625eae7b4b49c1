"""The one writer of clickstream events into the lake.

Every entry point uses it: ``c360 land`` of an events export (each line a record), ``c360
stream --to local`` and the Kinesis consumer Lambda (each Kinesis record a record). One
decoder (``decode_record``) decides every record, never raising; valid records get their
lineage and the writer puts

- valid records, grouped by the UTC date and hour they occurred, as one gzip NDJSON file
  per (batch, dt, hr): ``raw/web/events/dt=D/hr=H/<shard>-<first seq>-<last seq>.json.gz``;
- every other record, with its reason, origin and original payload, to
  ``quarantine/web/events/dt=<arrival date>/``.

Keys are deterministic, so writing the same batch twice is a no-op. Nothing is dropped:
``written + already_landed + quarantined + not_written == received`` for every batch. Only
a failed write leaves records unwritten, and then, as Kinesis requires, the batch must come
again from the first of them (``retry_from``). Raw events are therefore *at least once*;
staging makes them *exactly once* by keeping one row per ``event_id``. Each object gets its
landing receipt (``loaders.receipts``) right after it, for the build's per-source accounts.
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

from loaders.contracts import contract, fast_decoder, violation
from loaders.lake import layout, receipts
from loaders.lake.storage import Lake

ENTITY = "events"
MAX_RECORD_BYTES = int(contract(ENTITY).schema["x-max-record-bytes"])
MAX_NESTING_DEPTH = int(contract(ENTITY).schema["x-max-nesting-depth"])
FIELDS = len(contract(ENTITY).columns)
GZIP_LEVEL = 1  # isal levels run 0-3; 1 is several times faster than zlib at a similar size


class RawRecord(NamedTuple):
    """One record as it arrived: its bytes and where it came from (a tuple: cheap to make)."""

    shard_id: str
    sequence_number: str
    data: bytes
    arrival_at: datetime
    length: int | None = None  # the record's full length when ``data`` is only its first bytes

    @property
    def cut(self) -> bool:
        return self.length is not None and self.length > len(self.data)


@dataclass
class WriteResult:
    """What one batch came to. ``received == written + already_landed + quarantined + not_written``.

    ``retry_from`` follows the Kinesis rule: when a write fails, the batch must be delivered
    again from that sequence number on (the failed record and every record after it), so
    those records are left unwritten (``not_written``) for the redelivery to handle.
    """

    received: int = 0
    written: int = 0
    already_landed: int = 0
    quarantined: int = 0
    not_written: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    retry_from: str | None = None
    errors: list[str] = field(default_factory=list)

    def settled(self) -> WriteResult:
        """These counts without the records left for the redelivery, which will count them."""
        return WriteResult(
            received=self.received - self.not_written,
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
        self.not_written += other.not_written
        for reason, count in other.quarantine_reasons.items():
            self.quarantine_reasons[reason] = self.quarantine_reasons.get(reason, 0) + count
        self.retry_from = self.retry_from or other.retry_from
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


def _nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON text (brackets inside strings ignored)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _unreadable_text(value: Any) -> str | None:
    """Why a parsed value cannot be stored by every engine: a NUL, or a lone surrogate.

    JSON allows ``\\u0000`` and unpaired ``\\ud800`` escapes; PostgreSQL text cannot hold a
    NUL, and DuckDB (and UTF-8 itself) refuse a lone surrogate, so either would make the
    landed file break every later build.
    """
    texts: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, dict):
            texts.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    for text in texts:
        if "\x00" in text:
            return "NUL: a string holds a NUL character (\\u0000)"
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"lone surrogate: a string holds an unpaired UTF-16 surrogate ({text[exc.start]!r})"
    return None


_JSON_TYPES = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def decode_record(data: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The event a record's bytes hold, or None and why it goes to quarantine.

    The one decoder behind every entry point (``c360 land`` of an events file, ``c360
    stream --to local``, the Lambda handler). It never raises: every way a record can be
    bad is a reason. In order: oversize, not strict UTF-8, not JSON (or nested deeper
    than ``MAX_NESTING_DEPTH``, or a key repeated), a NUL or lone surrogate in a string,
    not a JSON object, then the events contract.
    """
    if len(data) > MAX_RECORD_BYTES:
        return None, f"oversize: record is {len(data)} bytes, over the {MAX_RECORD_BYTES}-byte limit"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8: {exc.reason} at byte {exc.start}"
    if text.count("[") + text.count("{") > MAX_NESTING_DEPTH and _nesting_depth(text) > MAX_NESTING_DEPTH:
        return None, f"malformed JSON: nested more than {MAX_NESTING_DEPTH} levels deep"
    try:
        event = json.loads(text, object_pairs_hook=_refuse_repeated_keys)
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON: {exc.msg} at column {exc.colno}"
    except _RepeatedKeyError as exc:
        return None, f"malformed JSON: key {exc} appears more than once"
    except RecursionError:  # nesting hidden from the bracket count cannot get here; belt and braces
        return None, f"malformed JSON: nested more than {MAX_NESTING_DEPTH} levels deep"
    unreadable = _unreadable_text(event)
    if unreadable is not None:
        return None, unreadable
    if not isinstance(event, dict):
        return None, f"not a JSON object: the record is a JSON {_JSON_TYPES.get(type(event), 'value')}"
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
        **({"length": record.length} if record.cut else {}),
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
    it refuses, a record with a ``\\u`` escape (which may hide a NUL or a lone surrogate),
    or a record spread over several lines, is decided by ``decode_record``.
    """
    data = record.data
    body = data if data[:1] == b"{" and data[-1:] == b"}" else data.strip()
    decoder = fast_decoder(ENTITY)
    one_line = b"\n" not in body and b"\r" not in body
    if decoder is not None and one_line and len(data) <= MAX_RECORD_BYTES and b"\\u" not in body:
        try:
            event = decoder.decode(body)
        except (msgspec.MsgspecError, UnicodeDecodeError):
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
    parsed, reason = decode_record(data)
    if parsed is None:
        assert reason is not None
        return reason
    partition = _partition_of(parsed["occurred_at"])
    if isinstance(partition, str):
        return partition
    if not one_line:  # keep one record per line
        body = json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return partition, body


def _place_safely(record: RawRecord) -> tuple[tuple[str, str], bytes] | str:
    """``_place``, with any unexpected error turned into a quarantine reason.

    Decoding depends only on the record's bytes: an exception here would fail the batch and
    block the shard on every retry, so it costs this one record instead, with its reason.
    """
    if record.cut:  # read only up to the limit (loaders.lake.lines): never decoded
        return (
            f"oversize: record is {record.length} bytes, over the {MAX_RECORD_BYTES}-byte limit;"
            f" its first {len(record.data)} bytes are kept"
        )
    try:
        return _place(record)
    except Exception as exc:
        return f"undecodable: {type(exc).__name__}: {exc}"[:500]


def _gzip_lines(lines: list[bytes]) -> bytes:
    return igzip.compress(b"\n".join(lines) + b"\n", compresslevel=GZIP_LEVEL, mtime=0)  # type: ignore[no-any-return]


@dataclass
class PlannedObject:
    """One object to write: a raw (dt, hr) group or a quarantine group, its records in order."""

    key: str
    rows: int
    first_sequence_number: str  # where a redelivery starts should this write fail
    data: bytes  # the gzip NDJSON object
    reasons: list[str] | None = None  # set for a quarantine object


@dataclass
class PlannedBatch:
    """A batch decided but not written: its objects in the order of their first record."""

    received: int
    objects: list[PlannedObject]


def plan_batch(records: list[RawRecord], landed_at: datetime) -> PlannedBatch:
    """Validate and enrich one batch of records from one shard (or one file), and make the
    objects ``write_planned`` writes. Pure computation, no lake: ``c360 land`` plans the
    batches of a large file in worker processes."""
    lineage = _Lineage(landed_at)
    groups: dict[tuple[str, str], list[tuple[int, bytes]]] = defaultdict(list)
    rejected: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for position, record in enumerate(records):
        outcome = _place_safely(record)
        if isinstance(outcome, str):
            rejected[_iso(record.arrival_at)[:10]].append((position, outcome))
        else:
            partition, body = outcome
            groups[partition].append((position, lineage.line(record, body)))

    def name(positions: list[int]) -> tuple[str, str, str]:
        first, last = records[positions[0]], records[positions[-1]]
        return first.shard_id, first.sequence_number, last.sequence_number

    ordered: list[tuple[int, PlannedObject]] = []
    for (dt, hr), members in groups.items():
        positions = [p for p, _line in members]
        key = layout.events_key(dt, hr, *name(positions))
        lines = [line for _p, line in members]
        first = records[positions[0]].sequence_number
        ordered.append((positions[0], PlannedObject(key, len(lines), first, _gzip_lines(lines))))
    for dt, bad in rejected.items():
        positions = [p for p, _reason in bad]
        entries = [
            json.dumps(_quarantine_entry(records[p], reason), ensure_ascii=False).encode("utf-8")
            for p, reason in bad
        ]
        key = layout.quarantine_key("web", ENTITY, dt, "-".join(name(positions)))
        first = records[positions[0]].sequence_number
        reasons = [reason for _p, reason in bad]
        ordered.append((positions[0], PlannedObject(key, len(bad), first, _gzip_lines(entries), reasons)))
    return PlannedBatch(len(records), [item for _first, item in sorted(ordered, key=lambda pair: pair[0])])


def write_planned(lake: Lake, batch: PlannedBatch, landed_at: datetime) -> WriteResult:
    """Write a planned batch's objects in order, each with its receipt (see ``write_batch``)."""
    result = WriteResult(received=batch.received)
    for item in batch.objects:
        if result.retry_from is not None:  # after the failure: all of it comes again
            result.not_written += item.rows
            continue
        try:
            written = lake.put_bytes_if_absent(item.key, item.data)
            # Its receipt, also after a replay that found the object but not the receipt
            # (a writer killed in between): the build's accounts count every object once.
            quarantined = item.rows if item.reasons is not None else 0
            receipts.write(
                lake,
                item.key,
                receipts.Receipt(
                    item.rows,
                    item.rows - quarantined,
                    quarantined,
                    receipts.stamp(landed_at),
                    receipts.reason_counts(item.reasons or []),
                ),
            )
        except Exception as exc:  # any write failure: redeliver from this object's first record
            result.retry_from = item.first_sequence_number
            result.not_written += item.rows
            result.errors.append(f"{item.key}: {exc}")
            continue
        if item.reasons is not None:
            result.quarantined += item.rows
            for reason in item.reasons:
                kind = reason.split(":", 1)[0]
                result.quarantine_reasons[kind] = result.quarantine_reasons.get(kind, 0) + 1
        elif written:
            result.written += item.rows
        else:
            result.already_landed += item.rows
    return result


def write_batch(lake: Lake, records: list[RawRecord], landed_at: datetime | None = None) -> WriteResult:
    """Validate, enrich and write one batch of records from one shard (or one file), in order.

    Objects are written in the order of their first record. When a write fails (S3
    unavailable, a full disk), ``result.retry_from`` is that object's first sequence number
    and nothing from there on is written: Kinesis will deliver it all again. Records before
    it that an earlier object already held stay written; the redelivery writes them again
    under another key (raw is at least once), and staging keeps one row per event_id.
    """
    if not records:
        return WriteResult()
    moment = landed_at or datetime.now(UTC)
    return write_planned(lake, plan_batch(records, moment), moment)
