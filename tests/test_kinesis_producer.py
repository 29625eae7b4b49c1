"""The producer: PutRecords limits, partition keys, retrying only failed entries, local mode."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from c360.cli import app
from loaders.lake.storage import open_lake
from loaders.landing.batch_upload import land
from loaders.streaming.kinesis_producer import (
    MAX_BYTES_PER_CALL,
    KinesisSink,
    LocalSink,
    ProducerRecord,
    partition_key,
    put_records_batches,
    read_records,
    stream,
)
from tests.conftest import event_bytes, lake_rows

STREAM = "c360-events"


def _records(count: int, size: int = 0) -> list[ProducerRecord]:
    padding = "x" * size
    return [
        ProducerRecord(
            n, event_bytes(event_id=f"e{n}", anonymous_id=f"a{n % 7}", page_url=padding), f"a{n % 7}"
        )
        for n in range(1, count + 1)
    ]


@pytest.fixture
def kinesis(moto_aws: None) -> Any:
    client = boto3.client("kinesis")
    client.create_stream(StreamName=STREAM, ShardCount=2)
    return client


def _stream_contents(client: Any) -> list[bytes]:
    data = []
    for shard in client.list_shards(StreamName=STREAM)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        data.extend(
            record["Data"] for record in client.get_records(ShardIterator=iterator, Limit=10000)["Records"]
        )
    return data


class FlakyKinesis:
    """Wraps a real (moto) client; the first calls report some entries as throttled, unsent."""

    def __init__(self, client: Any, fail_first: dict[int, set[int]]) -> None:
        self.client = client
        self.fail_first = fail_first  # call number -> entry positions to refuse
        self.calls: list[list[bytes]] = []

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        refuse = self.fail_first.get(len(self.calls), set())
        self.calls.append([entry["Data"] for entry in Records])
        accepted = [entry for n, entry in enumerate(Records) if n not in refuse]
        real = iter(
            self.client.put_records(StreamName=StreamName, Records=accepted)["Records"] if accepted else []
        )
        results = [
            {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded for shard"}
            if n in refuse
            else next(real)
            for n in range(len(Records))
        ]
        return {"FailedRecordCount": len(refuse), "Records": results}


def test_put_records_calls_respect_500_records_and_5_mib() -> None:
    assert [len(b) for b in put_records_batches(_records(1200))] == [500, 500, 200]
    big = _records(20, size=600_000)
    batches = list(put_records_batches(big))
    assert all(sum(r.size for r in batch) <= MAX_BYTES_PER_CALL for batch in batches)
    assert [len(b) for b in batches] == [8, 8, 4]


def test_the_partition_key_is_the_anonymous_id_or_a_hash() -> None:
    assert partition_key(event_bytes(anonymous_id="device-9")) == "device-9"
    assert len(partition_key(b"not json")) == 64
    assert len(partition_key(json.dumps({"anonymous_id": 5}).encode())) == 64
    assert len(partition_key(b"[1, 2]")) == 64


def test_a_hostile_line_gets_a_hashed_key_and_never_an_exception() -> None:
    nested = b'{"anonymous_id": "a", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert len(partition_key(nested)) == 64  # too deep to read: hashed, no RecursionError
    assert len(partition_key(b"[" * 100_000)) == 64
    oversize = b'{"anonymous_id": "a", "x": "' + b"y" * (2 * 1024 * 1024) + b'"}'
    assert len(partition_key(oversize)) == 64  # beyond what can be sent: not parsed at all


def test_streaming_a_deeply_nested_line_sends_the_rest(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    nested = b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    events.write_bytes(
        event_bytes(event_id="e1") + b"\n" + nested + b"\n" + event_bytes(event_id="e2") + b"\n"
    )
    result = CliRunner().invoke(
        app, ["stream", "--from", str(events), "--to", "local", "--lake", str(tmp_path / "lake")]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    rows = lake_rows(open_lake(str(tmp_path / "lake")), "raw/web/events/")
    assert {row["event_id"] for row in rows} == {"e1", "e2"}


def test_only_the_failed_entries_are_sent_again(kinesis: Any) -> None:
    flaky = FlakyKinesis(kinesis, fail_first={0: {3, 250, 499}, 1: {1}})
    delays: list[float] = []
    report = stream(_records(600), KinesisSink(flaky, STREAM, sleep=delays.append))
    assert [len(call) for call in flaky.calls] == [500, 3, 1, 100]
    assert flaky.calls[1] == [flaky.calls[0][3], flaky.calls[0][250], flaky.calls[0][499]]
    assert (report.sent, report.retried, report.failed) == (600, 4, [])
    assert len(delays) == 2 and all(0 <= d <= 5 for d in delays)
    sent = _stream_contents(kinesis)
    assert len(sent) == len(set(sent)) == 600, "every record exactly once"


def test_records_that_keep_failing_are_reported_by_line(kinesis: Any) -> None:
    always = FlakyKinesis(kinesis, fail_first={n: {0} for n in range(10)})
    report = stream(_records(5), KinesisSink(always, STREAM, max_attempts=3, sleep=lambda _s: None))
    assert report.sent == 4
    assert [(f.line_number, f.error_code) for f in report.failed] == [
        (1, "ProvisionedThroughputExceededException")
    ]
    assert len(always.calls) == 3, "bounded: gives up after max_attempts"


def test_an_oversize_record_is_reported_and_never_sent(kinesis: Any) -> None:
    records = [*_records(2), ProducerRecord(3, b"{" + b" " * (1024 * 1024) + b"}", "a1")]
    report = stream(records, KinesisSink(kinesis, STREAM))
    assert report.sent == 2 and [(f.line_number, f.error_code) for f in report.failed] == [
        (3, "RecordTooLarge")
    ]
    assert len(_stream_contents(kinesis)) == 2


def test_rate_limits_records_per_second() -> None:
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    class CountingSink(LocalSink):
        def send(self, batch: list[ProducerRecord], report: Any) -> None:
            report.sent += len(batch)

        def flush(self, report: Any) -> None:
            return None

    report = stream(
        _records(250), CountingSink(open_lake("/nonexistent")), rate=100, clock=lambda: now[0], sleep=sleep
    )
    assert report.sent == 250
    assert now[0] == pytest.approx(2.5)


def test_stream_to_local_lands_what_land_lands(tmp_path: Path, sample_dir: Path) -> None:
    events = sample_dir / "events.jsonl.gz"
    result = CliRunner().invoke(
        app,
        [
            "stream",
            "--from",
            str(events),
            "--to",
            "local",
            "--lake",
            str(tmp_path / "streamed"),
            "--shards",
            "3",
            "--batch-size",
            "250",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    with gzip.open(events, "rt") as handle:
        lines = sum(1 for line in handle if line.strip())
    assert (summary["sent"], summary["failed"]) == (lines, 0)
    land(events, open_lake(tmp_path / "landed"))
    streamed = lake_rows(open_lake(tmp_path / "streamed"), "raw/web/events/")
    landed = lake_rows(open_lake(tmp_path / "landed"), "raw/web/events/")
    assert sorted(r["event_id"] for r in streamed) == sorted(r["event_id"] for r in landed)
    assert {r["_kinesis_shard_id"] for r in streamed} == {f"shardId-00000000000{n}" for n in range(3)}
    # Each device's events stay on one shard, in order.
    shard_of: dict[str, set[str]] = {}
    for row in streamed:
        shard_of.setdefault(row["anonymous_id"], set()).add(row["_kinesis_shard_id"])
    assert all(len(shards) == 1 for shards in shard_of.values())


def test_stream_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["stream", "--from", str(tmp_path / "none.jsonl"), "--to", "local"])
    assert missing.exit_code == 1 and "no such events file" in missing.stderr
    (tmp_path / "e.jsonl").write_text('{"a": 1}\n')
    bad = runner.invoke(app, ["stream", "--from", str(tmp_path / "e.jsonl"), "--to", "sqs://queue"])
    assert bad.exit_code == 1 and "expected kinesis://STREAM or local" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_read_records_skips_blank_lines_and_keeps_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(event_bytes(event_id="x") + b"\n\n" + b"garbage\r\n")
    assert [(r.line_number, r.data) for r in read_records(path)] == [
        (1, event_bytes(event_id="x")),
        (3, b"garbage"),
    ]


def test_local_mode_invokes_with_at_most_6_mb_and_the_batch_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loaders.streaming import event_source_mapping

    sizes: list[tuple[int, int]] = []
    real = event_source_mapping.process

    def measured(event: dict[str, Any], lake: Any) -> Any:
        sizes.append((len(event["Records"]), len(json.dumps(event))))
        return real(event, lake)

    monkeypatch.setattr(event_source_mapping, "process", measured)
    big = _records(40, size=600_000)  # 40 x ~800 KB base64: must split on payload size
    small = [ProducerRecord(100 + r.line_number, r.data, r.partition_key) for r in _records(250)]
    report = stream([*big, *small], LocalSink(open_lake(tmp_path), batch_size=100))
    assert report.sent == 290 and not report.failed
    assert all(size <= 6 * 1024 * 1024 for _count, size in sizes)
    assert all(count <= 100 for count, _size in sizes)
    assert max(count for count, _size in sizes) == 100


def test_records_that_cannot_be_sent_are_kept_with_their_reason(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    huge = json.dumps({"event_id": "big", "page_url": "x" * (1024 * 1024)})
    source.write_text(event_bytes(event_id="ok").decode() + "\n" + huge + "\n")
    result = CliRunner().invoke(
        app, ["stream", "--from", str(source), "--to", "local", "--lake", str(tmp_path / "lake")]
    )
    assert result.exit_code == 1
    kept = tmp_path / "events.jsonl.failed.jsonl"
    assert f"kept with their reasons in {kept}" in result.stderr
    [entry] = [json.loads(line) for line in kept.read_text().splitlines()]
    assert entry["reason"].startswith("RecordTooLarge") and entry["origin"] == {"line": 2}
    # Read only up to the limit: its first bytes and its length are kept, not the line.
    assert entry["payload"] == huge[: 1024 * 1024] and entry["length"] == len(huge)
    assert f"record is {len(huge) + 64} bytes" in entry["reason"]
    assert [row["event_id"] for row in lake_rows(open_lake(tmp_path / "lake"), "raw/")] == ["ok"]
