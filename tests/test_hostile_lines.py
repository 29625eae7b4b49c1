"""A line far over the size limit, in every reader of raw lines (land of events and CSV
exports, stream --from, compaction): cut at the limit, quarantined (or refused) with its
first bytes and its length, never held whole in memory, and the good lines around it land."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pyarrow.parquet as pq
import pytest

from loaders.compaction import hours
from loaders.compaction.hours import CompactionError, compact_hour
from loaders.contracts import contract
from loaders.lake.layout import events_key
from loaders.lake.storage import open_lake
from loaders.landing.batch_upload import land
from loaders.streaming.kinesis_producer import LocalSink, read_records, stream
from tests.conftest import event_bytes, lake_rows

HUGE = 200 * 1024 * 1024  # bytes of one line (a 200 KB gzip member)
LIMIT = 1024 * 1024
PEAK = 48 * 1024 * 1024  # what a reader may hold at most: a few chunks, never the line
T = TypeVar("T")


def _gzip_with_huge_line(path: Path, before: bytes, after: bytes, filler: bytes = b"[") -> None:
    """A gzip file: ``before``, one line of HUGE filler bytes, ``after``; written in pieces."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    with path.open("wb") as handle:
        handle.write(compressor.compress(before + b"\n"))
        piece = filler * (8 * 1024 * 1024)
        for _ in range(HUGE // len(piece)):
            handle.write(compressor.compress(piece))
        handle.write(compressor.compress(b"\n" + after + b"\n"))
        handle.write(compressor.flush())


def _peak(action: Callable[[], T]) -> tuple[T, int]:
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _quarantined(lake: Any) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for key in lake.list_keys("quarantine/")
        if key.endswith(".json.gz")
        for line in gzip.decompress(lake.get_bytes(key)).splitlines()
    ]


def test_land_quarantines_a_huge_events_line_with_its_head_and_length(tmp_path: Path) -> None:
    export = tmp_path / "in" / "events.jsonl.gz"
    export.parent.mkdir()
    _gzip_with_huge_line(export, event_bytes(event_id="before"), event_bytes(event_id="after"))
    lake = open_lake(tmp_path / "lake")
    [result], peak = _peak(lambda: land(export.parent, lake))
    assert peak < PEAK, f"land held {peak:,} bytes"
    assert result.rows == 3 and result.quarantined == 1
    assert sorted(row["event_id"] for row in lake_rows(lake, "raw/")) == ["after", "before"]
    [entry] = _quarantined(lake)
    assert entry["reason"].startswith(f"oversize: record is {HUGE} bytes")
    assert entry["length"] == HUGE and entry["payload"] == "[" * LIMIT


def test_land_quarantines_a_huge_csv_line_and_lands_the_rest(tmp_path: Path) -> None:
    header = ",".join(contract("products").columns)
    good = "P1,Mug,Home,Kitchen,Acme,9.99,3.10,true,2026-01-01T00:00:00Z"
    export = tmp_path / "in" / "products.csv"
    export.parent.mkdir()
    with export.open("wb") as handle:
        handle.write(f"{header}\n{good}\n".encode())
        piece = b"x" * (8 * 1024 * 1024)
        for _ in range(HUGE // len(piece)):
            handle.write(piece)
        handle.write(f"\n{good.replace('P1', 'P2')}\n".encode())
    lake = open_lake(tmp_path / "lake")
    [result], peak = _peak(lambda: land(export.parent, lake))
    assert peak < PEAK, f"land held {peak:,} bytes"
    assert result.rows == 3 and result.quarantined == 1
    [entry] = _quarantined(lake)
    assert entry["reason"] == f"oversize: line 3 is {HUGE:,} bytes, over the {LIMIT:,}-byte limit;" + (
        f" its first {LIMIT:,} bytes are kept"
    )
    assert entry["length"] == HUGE and entry["payload"] == "x" * LIMIT and entry["origin"]["line"] == 3


def test_stream_refuses_a_huge_line_keeping_its_head_and_sends_the_rest(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl.gz"
    _gzip_with_huge_line(source, event_bytes(event_id="before"), event_bytes(event_id="after"))
    lake = open_lake(tmp_path / "lake")
    report, peak = _peak(lambda: stream(read_records(source), LocalSink(lake)))
    assert peak < PEAK, f"stream held {peak:,} bytes"
    assert report.sent == 2
    [failed] = report.failed
    entry = failed.as_quarantine_entry()
    assert entry["length"] == HUGE and len(entry["payload"]) == LIMIT and entry["origin"] == {"line": 2}
    assert sorted(row["event_id"] for row in lake_rows(lake, "raw/")) == ["after", "before"]


def test_compaction_leaves_an_hour_with_a_huge_raw_line_raw_naming_it(tmp_path: Path) -> None:
    lake = open_lake(tmp_path / "lake")
    key = events_key("2026-01-01", "10", "shardId-000000000000", "1", "3")
    folder = Path(lake.url(key)).parent
    folder.mkdir(parents=True)
    _gzip_with_huge_line(folder / ".staged.gz", b"{}", b"{}")
    (folder / ".staged.gz").rename(lake.url(key))
    with pytest.raises(CompactionError, match=f"line 2 is {HUGE:,} bytes") as raised:
        _peak(lambda: compact_hour(lake, "2026-01-01", "10"))
    assert "the hour stays raw" in str(raised.value)
    assert not lake.list_keys("compacted/")


def test_compaction_reads_a_raw_file_in_bounded_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hours, "BATCH_BYTES", 64 * 1024)  # many batches from one file
    parsed: list[int] = []
    read_raw = hours._read_raw

    def counted(lines: bytes, source_url: str, schema: Any) -> Any:
        parsed.append(len(lines))
        return read_raw(lines, source_url, schema)

    monkeypatch.setattr(hours, "_read_raw", counted)
    lake = open_lake(tmp_path / "lake")
    key = events_key("2026-01-01", "10", "shardId-000000000000", "1", "9")
    lines = [event_bytes(event_id=f"e{n:05d}", occurred_at="2026-01-01T10:00:00Z") for n in range(5_000)]
    lake.put_bytes(key, gzip.compress(b"\n".join(lines) + b"\n"))
    result = compact_hour(lake, "2026-01-01", "10")
    assert result.rows == 5_000
    # The file was parsed a bounded batch at a time, never whole (about 500 KB of JSON).
    assert len(parsed) > 5 and max(parsed) < 64 * 1024 + 1024
    [part] = result.parts
    table = pq.read_table(lake.url(part))
    assert table.column("event_id").to_pylist() == [f"e{n:05d}" for n in range(5_000)]
