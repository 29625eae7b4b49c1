"""The msgspec decoder derived from the events contract never accepts what the JSON Schema refuses."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

from loaders.contracts import contract, fast_decoder, violation
from loaders.lake.storage import open_lake
from loaders.landing.events_writer import RawRecord, write_batch
from tests.conftest import event_bytes, lake_rows

NOW = datetime(2026, 1, 2, tzinfo=UTC)
ODD_VALUES: list[Any] = [
    None,
    "",
    "x",
    5,
    1.5,
    True,
    [],
    {},
    "DE",
    "de\n",
    "D3",
    "2025-12-01T10:00:00Z",
    "2025-02-30T10:00:00Z",
    "2025-12-01T24:00:00Z",
    "2025-12-01T10:00:60+01:00",
    "2025-12-01 10:00:00Z",
    "2025-12-01T10:00:00+0100",
    "page_view",
    "teleport",
    "٣٣",
    "é" * 3,
]


def _accepts(data: bytes) -> bool:
    decoder = fast_decoder("events")
    assert decoder is not None
    try:
        decoder.decode(data)
    except msgspec.MsgspecError:
        return False
    return True


def test_every_mutation_the_fast_decoder_accepts_also_passes_the_json_schema() -> None:
    rng = random.Random(3)
    fields = [*contract("events").columns, "unexpected"]
    base = json.loads(event_bytes(country_code="DE", customer_id="C1"))
    accepted = refused = 0
    for _ in range(4000):
        event = dict(base)
        for _change in range(rng.randint(1, 3)):
            field = rng.choice(fields)
            if rng.random() < 0.2:
                event.pop(field, None)
            else:
                event[field] = rng.choice(ODD_VALUES)
        data = json.dumps(event).encode()
        if _accepts(data):
            accepted += 1
            assert violation("events", event) is None, data
        else:
            refused += 1
    assert accepted > 100 and refused > 100, "the mutations must exercise both outcomes"


def test_clean_generated_events_take_the_fast_path(sample_dir: Path) -> None:
    import gzip

    with gzip.open(sample_dir / "events.jsonl.gz", "rb") as handle:
        lines = [line.strip() for line in handle][:2000]
    assert all(_accepts(line) for line in lines)


def test_a_leap_second_with_an_offset_is_quarantined_not_fatal(tmp_path: Path) -> None:
    lake = open_lake(tmp_path)
    records = [
        RawRecord("s", "1", event_bytes(event_id="a", occurred_at="2025-12-01T10:59:60+01:00"), NOW),
        RawRecord("s", "2", event_bytes(event_id="b", occurred_at="2025-12-01T10:59:60Z"), NOW),
    ]
    result = write_batch(lake, records, NOW)
    assert (result.written, result.quarantined) == (1, 1)
    [bad] = lake_rows(lake, "quarantine/")
    assert "not a representable time" in bad["reason"]


@pytest.mark.parametrize("offset", ["+02:00", "-05:30"])
def test_offsets_land_in_the_utc_hour(tmp_path: Path, offset: str) -> None:
    lake = open_lake(tmp_path)
    write_batch(
        lake, [RawRecord("s", "1", event_bytes(occurred_at=f"2025-12-01T01:30:00{offset}"), NOW)], NOW
    )
    [key] = lake.list_keys("raw/")
    expected = "dt=2025-11-30/hr=23" if offset == "+02:00" else "dt=2025-12-01/hr=07"
    assert expected in key


def test_a_pretty_printed_record_lands_as_one_line(tmp_path: Path) -> None:
    lake = open_lake(tmp_path)
    pretty = json.dumps(json.loads(event_bytes(event_id="pretty")), indent=2).encode()
    result = write_batch(lake, [RawRecord("s", "1", pretty, NOW)], NOW)
    assert result.written == 1
    [row] = lake_rows(lake, "raw/")
    assert row["event_id"] == "pretty" and row["_kinesis_sequence_number"] == "1"


@pytest.mark.parametrize(
    ("body", "lands"),
    [
        (
            b'{"event_id":"a","event_type":"login","occurred_at":"2025-12-01T10:00:00Z","anonymous_id":"x","event_id":"b"}',
            False,
        ),
        (
            b'{"event_id":"a","event_type":"login","occurred_at":"2025-12-01T10:00:00Z","anonymous_id":"x","city":null,"city":"Rome"}',
            False,
        ),
        (
            b'{"event_id":"a","event_type":"login","occurred_at":"2025-12-01T10:00:00Z","anonymous_id":"x","page_url":"/q?\\":\\"=1"}',
            True,
        ),
        (
            b'{"event_id" : "a","event_type":"login","occurred_at":"2025-12-01T10:00:00Z",'
            b'"anonymous_id":"x"}',
            True,
        ),
    ],
)
def test_a_repeated_key_is_quarantined_because_duckdb_refuses_it(
    tmp_path: Path, body: bytes, lands: bool
) -> None:
    import duckdb

    lake = open_lake(tmp_path)
    result = write_batch(lake, [RawRecord("s", "1", body, NOW)], NOW)
    assert (result.written, result.quarantined) == ((1, 0) if lands else (0, 1))
    if lands:
        [key] = lake.list_keys("raw/")
        assert duckdb.sql(f"select count(*) from read_json('{lake.url(key)}')").fetchone() == (1,)
    else:
        [bad] = lake_rows(lake, "quarantine/")
        assert "appears more than once" in bad["reason"]
