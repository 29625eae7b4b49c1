"""The event source mapping stand-in redelivers as Lambda does, and staging makes it exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from c360.settings import Settings
from c360.warehouse.dbt import run_dbt
from loaders.lake.storage import LocalLake
from loaders.streaming.event_source_mapping import EventSourceMapping, ShardRecord
from tests.conftest import event_bytes, lake_rows

START = datetime(2025, 12, 1, 10, 0, tzinfo=UTC)
ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/test"


class FlakyLake(LocalLake):
    """A local lake whose first write into one raw hour fails, as if S3 were briefly down."""

    def __init__(self, root: Path, failing: str, failures: int = 1) -> None:
        super().__init__(root)
        self.failing = failing
        self.failures = failures

    def put_bytes_if_absent(self, key: str, data: bytes) -> bool:
        if self.failing in key and self.failures > 0:
            self.failures -= 1
            raise OSError("S3 is unavailable")
        return super().put_bytes_if_absent(key, data)


def _interleaved(count: int) -> list[ShardRecord]:
    """Events alternating between hour 10 and hour 11, in sequence order."""
    records = []
    for n in range(count):
        occurred = START + timedelta(hours=n % 2, seconds=n)
        data = event_bytes(event_id=f"ev-{n:04d}", occurred_at=occurred.isoformat().replace("+00:00", "Z"))
        records.append(ShardRecord(f"{1000 + n}", data, "a1", START.timestamp()))
    return records


def test_a_failure_mid_batch_redelivers_from_the_lowest_failed_record(tmp_path: Path) -> None:
    records = _interleaved(400)
    lake = FlakyLake(tmp_path, failing="hr=11/")
    calls: list[list[str]] = []
    mapping = EventSourceMapping(lake, ARN, batch_size=100, sleep=lambda _s: None)
    real = mapping.invoke

    def recorded(event, target):  # type: ignore[no-untyped-def]
        calls.append([r["kinesis"]["sequenceNumber"] for r in event["Records"]])
        return real(event, target)

    mapping.invoke = recorded
    report = mapping.deliver("shardId-000000000000", records)
    # The first batch fails at its first hour-11 record (position 1): Lambda delivers again
    # from there, that record and everything after it, successes included.
    assert calls[0] == [r.sequence_number for r in records[:100]]
    assert calls[1] == [r.sequence_number for r in records[1:101]]
    assert report.redelivered == 99 and report.stuck == [] and report.error is None
    raw = [row["event_id"] for row in lake_rows(lake, "raw/web/events/")]
    assert set(raw) == {f"ev-{n:04d}" for n in range(400)}
    assert len(raw) > 400, "raw is at least once: hour-10 records of the first batch came twice"


def test_a_record_that_keeps_failing_stops_the_shard_and_is_reported(tmp_path: Path) -> None:
    records = _interleaved(10)
    lake = FlakyLake(tmp_path, failing="hr=11/", failures=100)
    report = EventSourceMapping(lake, ARN, batch_size=4, max_attempts=3, sleep=lambda _s: None).deliver(
        "shardId-000000000000", records
    )
    assert [r.sequence_number for r in report.stuck] == [r.sequence_number for r in records[1:]]
    assert report.error is not None and "1001 still failing after 3 attempts" in report.error


@pytest.mark.dbt
def test_staging_after_redelivery_equals_a_failure_free_run(tmp_path: Path) -> None:
    records = _interleaved(300)
    staged = {}
    for name, lake in (
        ("clean", LocalLake(tmp_path / "clean")),
        ("flaky", FlakyLake(tmp_path / "flaky", "hr=11/")),
    ):
        EventSourceMapping(lake, ARN, batch_size=64, sleep=lambda _s: None).deliver("shardId-0", records)
        settings = Settings.resolve(lake=lake.root, warehouse=tmp_path / f"{name}.duckdb", target="local")
        assert run_dbt(settings, ["run", "--select", "+stg_web__events"]).ok
        with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
            staged[name] = connection.execute(
                "select event_id, event_type, occurred_at, anonymous_id, _kinesis_sequence_number"
                " from staging.stg_web__events order by event_id"
            ).fetchall()
    assert len(lake_rows(LocalLake(tmp_path / "flaky"), "raw/web/events/")) > 300
    assert len(staged["clean"]) == 300
    assert staged["flaky"] == staged["clean"]
