"""The one record decoder: it never raises, and never accepts what strict UTF-8 + the contract refuse.

Every entry point (``c360 land`` of an events file, ``c360 stream --to local``, the Lambda
handler) goes through ``events_writer.write_batch``; these tests feed it hostile bytes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.contracts import contract, violation
from loaders.lake.storage import open_lake
from loaders.landing.events_writer import MAX_NESTING_DEPTH, RawRecord, _place, decode_record, write_batch
from tests.conftest import event_bytes, lake_rows

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
FIELDS = contract("events").columns

# The hostile corpus: each case, and the reason it must be quarantined with.
HOSTILE: dict[str, tuple[bytes, str]] = {
    "latin-1 byte inside a string": (event_bytes(event_id="h1")[:-1] + b', "city": "Mont\xe9"}', "not UTF-8"),
    "invalid UTF-8 outside strings": (b"\xff" + event_bytes(event_id="h2"), "not UTF-8"),
    "lone surrogate escape": (
        event_bytes(event_id="h3", city="\\ud800").replace(b"\\\\", b"\\"),
        "lone surrogate",
    ),
    "lone low surrogate escape": (
        event_bytes(event_id="h4", city="x\\udc00").replace(b"\\\\", b"\\"),
        "lone surrogate",
    ),
    "NUL escape": (event_bytes(event_id="h5", city="a\\u0000b").replace(b"\\\\", b"\\"), "NUL"),
    "raw NUL byte": (event_bytes(event_id="h6")[:-1] + b', "city": "a\x00b"}', "malformed JSON"),
    "100,000 nested brackets": (b"[" * 100_000, "malformed JSON"),
    "nested objects": (b'{"a":' * 40 + b"1" + b"}" * 40, "malformed JSON"),
    "a JSON array": (b'[{"event_id": "h9"}]', "not a JSON object"),
    "a JSON string": (b'"hello"', "not a JSON object"),
    "a JSON number": (b"42", "not a JSON object"),
    "oversize": (b'{"event_id": "' + b"x" * (1024 * 1024) + b'"}', "oversize"),
    "truncated": (event_bytes(event_id="h12")[:30], "malformed JSON"),
    "repeated key": (event_bytes(event_id="h13")[:-1] + b', "event_id": "again"}', "malformed JSON"),
    "unknown field": (event_bytes(event_id="h14", colour="red"), "contract"),
    "wrong type": (event_bytes(event_id="h15", city=7), "contract"),
    "byte-order mark": (b"\xef\xbb\xbf" + event_bytes(event_id="h16"), "malformed JSON"),
    "two objects on one line": (event_bytes(event_id="h17") + event_bytes(event_id="h18"), "malformed JSON"),
    "empty": (b"", "malformed JSON"),
}


def test_every_hostile_record_is_quarantined_with_its_reason(tmp_path: Path) -> None:
    records = [RawRecord("shard-h", f"{n:03d}", data, NOW) for n, (data, _) in enumerate(HOSTILE.values())]
    records.append(RawRecord("shard-h", "999", event_bytes(event_id="good"), NOW))
    lake = open_lake(tmp_path)
    result = write_batch(lake, records, NOW)
    assert (result.written, result.quarantined, result.retry_from) == (1, len(HOSTILE), None)
    entries = {row["origin"]["sequence_number"]: row for row in lake_rows(lake, "quarantine/")}
    for n, (case, (_data, reason)) in enumerate(HOSTILE.items()):
        assert entries[f"{n:03d}"]["reason"].startswith(reason), (case, entries[f"{n:03d}"]["reason"])
    # The good record beside them landed, and what landed reads in DuckDB.
    [path] = tmp_path.glob("raw/web/events/*/*/*.json.gz")
    rows = duckdb.sql(f"select event_id from read_ndjson('{path}', columns = {{event_id: 'varchar'}})")
    assert rows.fetchall() == [("good",)]


def _decoder_accepts(data: bytes) -> bool:
    """Whether the writer would land the record (its fast path included); must not raise."""
    return not isinstance(_place(RawRecord("s", "1", data, NOW)), str)


def _strictly_valid(data: bytes) -> bool:
    """The reference: strict UTF-8, a JSON object, storable text, and the JSON Schema."""
    try:
        text = data.decode("utf-8")
        value = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    if not isinstance(value, dict) or violation("events", value) is not None:
        return False
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any("\x00" in str(v) for v in value.values())


text_values = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["\\ud800", "\x00", "2025-12-01T10:00:00Z", "page_view", "é", "\\u0000", "[[[["]),
)
events = st.fixed_dictionaries(
    {
        "event_id": st.text(min_size=1, max_size=8),
        "event_type": st.sampled_from(["page_view", "purchase", "teleport"]),
        "occurred_at": st.sampled_from(["2025-12-01T10:00:00Z", "2025-12-01T10:00:00+02:00", "yesterday"]),
        "anonymous_id": st.text(max_size=8),
    },
    optional={name: st.one_of(st.none(), text_values, st.integers()) for name in FIELDS[4:]},
)


def _mutations(draw: Any) -> bytes:
    event = draw(events)
    data = json.dumps(event, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = data.replace(b"\\\\u", b"\\u")  # turn escaped backslashes into real escapes
    if draw(st.booleans()) and data:
        position = draw(st.integers(0, len(data) - 1))
        data = data[:position] + draw(st.binary(min_size=1, max_size=3)) + data[position + 1 :]
    if draw(st.booleans()):
        depth = draw(st.integers(0, MAX_NESTING_DEPTH * 2))
        data = b"[" * depth + data + b"]" * depth
    return data


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.composite(_mutations)())
def test_the_decoder_never_raises_and_never_accepts_what_the_reference_refuses(data: bytes) -> None:
    accepted = _decoder_accepts(data)
    parsed, reason = decode_record(data)
    assert (parsed is None) != (reason is None)
    if accepted:
        assert _strictly_valid(data), data


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    decode_record(data)
    _decoder_accepts(data)
