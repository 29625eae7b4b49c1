"""Compaction: raw hours -> zstd Parquet, verified, atomic via the manifest, idempotent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from c360.cli import app
from loaders.compaction import glue_job
from loaders.compaction.hours import (
    CompactionError,
    compact,
    compact_closed_hours,
    compact_hour,
    events_schema,
)
from loaders.lake.storage import Lake, open_lake
from loaders.landing.events_writer import RawRecord, write_batch
from tests.conftest import event_bytes, lake_rows

START = datetime(2025, 12, 1, 10, 0, tzinfo=UTC)


def _land(lake: Lake, count: int, first: int = 0, shard: str = "shardId-000000000000") -> None:
    """``count`` events spread over hours 10 and 11, in batches of 100 (many small files)."""
    for batch_start in range(first, first + count, 100):
        records = [
            RawRecord(
                shard,
                f"{n:012d}",
                event_bytes(
                    event_id=f"e{n:06d}", occurred_at=(START + timedelta(seconds=13 * n % 7200)).isoformat()
                ),
                START,
            )
            for n in range(batch_start, min(batch_start + 100, first + count))
        ]
        write_batch(lake, records, START)


def _parquet_ids(lake: Lake, dt: str, hr: str) -> list[str]:
    manifest = json.loads(lake.get_bytes(f"compacted/web/events/dt={dt}/hr={hr}/_manifest.json"))
    return sorted(
        event_id
        for key in manifest["parts"]
        for event_id in pq.read_table(lake.url(key)).column("event_id").to_pylist()
    )


def test_an_hour_becomes_parquet_with_every_row_typed_from_the_contract(tmp_path: Path) -> None:
    lake = open_lake(tmp_path)
    _land(lake, 1000)
    raw = lake_rows(lake, "raw/web/events/dt=2025-12-01/hr=10/")
    [result] = compact(lake, "2025-12-01", "10")
    assert (result.status, result.rows) == ("compacted", len(raw))
    assert result.input_files > 5 and len(result.parts) == 1
    assert _parquet_ids(lake, "2025-12-01", "10") == sorted(r["event_id"] for r in raw)
    table = pq.read_table(lake.url(result.parts[0]))
    assert table.schema.equals(events_schema())
    assert str(table.schema.field("occurred_at").type) == "timestamp[us]"
    assert pq.read_metadata(lake.url(result.parts[0])).row_group(0).column(0).compression == "ZSTD"
    assert set(table.column("_source_file").to_pylist()) <= {lake.url(k) for k in lake.list_keys("raw/")}


def test_every_rfc_3339_spelling_of_a_time_compacts_as_staging_reads_it(tmp_path: Path) -> None:
    # Lower-case t and z, and digits past the microsecond, are RFC 3339 and pass the
    # contract: compaction reads them as staging does on every engine (an hour it could not
    # read would stay raw for good).
    lake = open_lake(tmp_path)
    spellings = ["2025-12-01t10:05:00z", "2025-12-01T10:06:00.123456789Z", "2025-12-01T12:07:00+02:00"]
    for number, occurred_at in enumerate(spellings):
        record = RawRecord(
            "shardId-1", f"{number:012d}", event_bytes(event_id=f"t{number}", occurred_at=occurred_at), START
        )
        write_batch(lake, [record], START)
    [result] = compact(lake, "2025-12-01", "10")
    assert (result.status, result.rows) == ("compacted", 3)
    times = pq.read_table(lake.url(result.parts[0])).sort_by("event_id").column("occurred_at").to_pylist()
    assert times == [
        datetime(2025, 12, 1, 10, 5),
        datetime(2025, 12, 1, 10, 6, 0, 123456),
        datetime(2025, 12, 1, 10, 7),
    ]


def test_compacting_again_is_a_no_op_and_late_files_recompact(tmp_path: Path) -> None:
    lake = open_lake(tmp_path)
    _land(lake, 400)
    first = compact(lake, "2025-12-01")
    assert [r.hr for r in first] == ["10", "11"]
    before = lake.list_keys("compacted/")
    assert {r.status for r in compact(lake, "2025-12-01")} == {"already compacted"}
    assert lake.list_keys("compacted/") == before
    _land(lake, 100, first=5200, shard="shardId-000000000001")  # late arrivals for both hours
    again = compact(lake, "2025-12-01")
    assert {r.status for r in again} == {"compacted"}
    for result in again:
        raw = lake_rows(lake, f"raw/web/events/dt=2025-12-01/hr={result.hr}/")
        assert _parquet_ids(lake, "2025-12-01", result.hr) == sorted(r["event_id"] for r in raw)
    parts = [k for k in lake.list_keys("compacted/") if k.endswith(".parquet")]
    assert sorted(parts) == sorted(p for r in again for p in r.parts), "the earlier run's parts are gone"


def test_parts_roll_over_at_the_target_size(tmp_path: Path) -> None:
    lake = open_lake(tmp_path)
    _land(lake, 2000)
    result = compact_hour(lake, "2025-12-01", "10", target_bytes=1, row_group_rows=250)
    assert len(result.parts) == 4
    assert sum(pq.read_metadata(lake.url(p)).num_rows for p in result.parts) == result.rows


def test_a_corrupt_raw_file_commits_nothing(tmp_path: Path) -> None:
    lake = open_lake(tmp_path)
    _land(lake, 300)
    compact(lake, "2025-12-01", "10")
    manifest = lake.get_bytes("compacted/web/events/dt=2025-12-01/hr=10/_manifest.json")
    lake.put_bytes("raw/web/events/dt=2025-12-01/hr=10/shardId-9-1-2.json.gz", b"not gzip at all")
    with pytest.raises(CompactionError, match="cannot read as raw events"):
        compact(lake, "2025-12-01", "10")
    assert lake.get_bytes("compacted/web/events/dt=2025-12-01/hr=10/_manifest.json") == manifest


def test_a_crash_before_the_manifest_leaves_the_last_commit_in_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = open_lake(tmp_path)
    _land(lake, 300)
    [committed] = compact(lake, "2025-12-01", "10")
    _land(lake, 50, first=9000, shard="shardId-000000000002")
    real_put = lake.put_bytes

    def crash_on_manifest(key: str, data: bytes) -> None:
        if key.endswith("_manifest.json"):
            raise OSError("killed")
        real_put(key, data)

    monkeypatch.setattr(lake, "put_bytes", crash_on_manifest)
    with pytest.raises(OSError, match="killed"):
        compact(lake, "2025-12-01", "10")
    monkeypatch.undo()
    manifest = json.loads(lake.get_bytes("compacted/web/events/dt=2025-12-01/hr=10/_manifest.json"))
    assert manifest["parts"] == committed.parts and manifest["rows"] == committed.rows
    assert all(lake.exists(part) for part in committed.parts)


def test_no_raw_events_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CompactionError, match="no raw events for dt=2025-12-01"):
        compact(open_lake(tmp_path), "2025-12-01")
    result = CliRunner().invoke(app, ["compact", "--date", "2025-13-01", "--lake", str(tmp_path)])
    assert result.exit_code == 1 and "month must be in 1..12" in result.stderr
    result = CliRunner().invoke(
        app, ["compact", "--date", "2025-12-01", "--hour", "24", "--lake", str(tmp_path)]
    )
    assert result.exit_code == 1 and "expected 00-23" in result.stderr


def test_the_glue_job_compacts_the_s3_lake(s3_bucket: str) -> None:
    lake = open_lake(f"s3://{s3_bucket}/lake")
    _land(lake, 300)
    assert glue_job.main(["--lake", lake.uri, "--date", "2025-12-01", "--JOB_ID", "jr_123"]) == 0
    manifests = [k for k in lake.list_keys("compacted/") if k.endswith("_manifest.json")]
    assert len(manifests) == 2
    rows = sum(json.loads(lake.get_bytes(k))["rows"] for k in manifests)
    assert rows == 300


def test_duckdb_reads_compacted_and_raw_as_the_same_events(tmp_path: Path) -> None:
    lake = open_lake(tmp_path)
    _land(lake, 500)
    compact(lake, "2025-12-01")
    query = "select count(*), count(distinct event_id), min(occurred_at)::varchar from {}"
    raw: Any = duckdb.sql(query.format(f"read_json('{tmp_path}/raw/web/events/*/*/*.json.gz')")).fetchone()
    parquet: Any = duckdb.sql(
        query.format(f"read_parquet('{tmp_path}/compacted/web/events/*/*/*.parquet')")
    ).fetchone()
    assert raw == parquet and raw[0] == 500


def test_the_pipeline_compacts_closed_hours_of_many_files_and_leaves_the_rest(tmp_path: Path) -> None:
    lake = open_lake(tmp_path)
    _land(lake, 300)  # hour 10: three raw files; hour 11: one

    def one_file(sequence: str, event_id: str, at: datetime) -> None:
        data = event_bytes(event_id=event_id, occurred_at=at.isoformat())
        write_batch(lake, [RawRecord("shardId-000000000000", sequence, data, at)], at)

    one_file("900000000001", "lone", START + timedelta(hours=3))  # hour 13: a single file
    now = START + timedelta(hours=4, minutes=5)  # hour 14 is still open
    one_file("900000000002", "open-1", START + timedelta(hours=4))
    one_file("900000000003", "open-2", START + timedelta(hours=4, minutes=1))

    result = compact_closed_hours(lake, now=now)
    assert (result.compacted, result.too_few_files, result.unchanged, result.left_raw) == (1, 2, 0, {})
    assert lake.exists("compacted/web/events/dt=2025-12-01/hr=10/_manifest.json")
    assert not lake.has_keys("compacted/web/events/dt=2025-12-01/hr=13/")
    assert not lake.has_keys("compacted/web/events/dt=2025-12-01/hr=14/")
    again = compact_closed_hours(lake, now=now)
    assert (again.compacted, again.unchanged) == (0, 1)


def test_the_glue_job_compacts_closed_hours_for_the_state_machine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = open_lake(tmp_path)
    _land(lake, 200)
    assert (
        glue_job.main(["--lake", str(tmp_path), "--scope", "closed", "--run-id", "r1", "--JOB_ID", "j"]) == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["run_id"] == "r1" and printed["hours_compacted"] == 1


def test_closed_hours_compact_side_by_side_as_they_would_one_by_one(tmp_path: Path) -> None:
    """Hours are compacted by several threads at once: the same parts as one at a time, and
    an hour that cannot be read stays raw, named, without stopping the others."""
    lakes = {workers: open_lake(tmp_path / f"workers-{workers}") for workers in (1, 3)}
    for lake in lakes.values():
        for batch in range(3):  # eight hours, each in three files
            records = [
                RawRecord(
                    "shardId-000000000000",
                    f"{batch * 1000 + n:012d}",
                    event_bytes(
                        event_id=f"e{batch}-{n:04d}",
                        occurred_at=(START + timedelta(minutes=7 * n)).isoformat(),
                    ),
                    START,
                )
                for n in range(8 * 60 // 7)
            ]
            write_batch(lake, records, START)
        lake.put_bytes(
            "raw/web/events/dt=2025-12-01/hr=12/shardId-x-000000009000-000000009001.json.gz",
            b"\x1f\x8b not a gzip stream",
        )
    now = START + timedelta(days=1)
    results = {
        workers: compact_closed_hours(lake, now=now, workers=workers) for workers, lake in lakes.items()
    }
    for result in results.values():
        assert (result.compacted, result.unchanged, list(result.left_raw)) == (7, 0, ["dt=2025-12-01/hr=12"])
        assert "cannot read as raw events" in result.left_raw["dt=2025-12-01/hr=12"]
    rows = {
        workers: {
            key: sorted(map(str, pq.read_table(lake.url(key)).drop_columns("_source_file").to_pylist()))
            for key in lake.list_keys("compacted/")
            if key.endswith(".parquet")
        }
        for workers, lake in lakes.items()
    }
    assert rows[1] == rows[3] and len(rows[1]) == 7
