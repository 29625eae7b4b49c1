"""The consumer Lambda: decode, validate, quarantine, write by hour, partial batch responses.

Runs against moto's S3 in-process, with Lambda events shaped like the real Kinesis ones
(tests/fixtures/kinesis_event.json is an event source mapping payload).
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from loaders.lake.storage import open_lake
from loaders.streaming import event_source_mapping, kinesis_consumer
from loaders.streaming.kinesis_consumer import EventShapeError, handler, kinesis_event, process
from tests.conftest import BUCKET, event_bytes, lake_rows

FIXTURE = Path(__file__).parent / "fixtures" / "kinesis_event.json"
STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/c360-events"


@pytest.fixture
def lake_uri(s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"s3://{s3_bucket}/lake"
    monkeypatch.setenv("C360_LAKE", uri)
    kinesis_consumer._lake_from_environment.cache_clear()
    yield uri  # type: ignore[misc]
    kinesis_consumer._lake_from_environment.cache_clear()


def _batch(count: int, start: datetime, shard: str = "shardId-000000000000") -> dict[str, Any]:
    records = [
        (
            shard,
            f"{49600000000000000000000000000000000000000000000000000000 + n}",
            event_bytes(event_id=f"ev-{n:05d}", occurred_at=(start + timedelta(minutes=n)).isoformat()),
            "a1",
            start.timestamp(),
        )
        for n in range(count)
    ]
    return kinesis_event(records, STREAM_ARN)


def test_the_handler_lands_a_real_shaped_event_and_quarantines_the_broken_record(lake_uri: str) -> None:
    event = json.loads(FIXTURE.read_text())
    response = handler(event, context=None)
    assert response == {"batchItemFailures": []}
    lake = open_lake(lake_uri)
    rows = lake_rows(lake, "raw/web/events/")
    assert sorted(row["event_id"][-2:] for row in rows) == ["01", "02", "03"]
    keys = lake.list_keys("raw/web/events/")
    assert [key.split("/")[3:5] for key in keys] == [["dt=2025-12-01", "hr=10"], ["dt=2025-12-01", "hr=11"]]
    first = event["Records"][0]["kinesis"]["sequenceNumber"]
    assert keys[0].endswith(
        f"/shardId-000000000006-{first}-{event['Records'][1]['kinesis']['sequenceNumber']}.json.gz"
    )
    assert rows[0]["_kinesis_shard_id"] == "shardId-000000000006"
    assert rows[0]["_kinesis_sequence_number"] == first
    assert rows[0]["_kinesis_arrival_at"].startswith("2025-12-01T10:15:00.98")
    [bad] = lake_rows(lake, "quarantine/web/events/")
    assert bad["reason"].startswith("malformed JSON")
    assert bad["origin"]["shard_id"] == "shardId-000000000006"
    assert bad["origin"]["sequence_number"] == event["Records"][3]["kinesis"]["sequenceNumber"]
    assert bad["payload"] == '{"event_id": "broken", "event_type": '


def test_objects_are_encrypted_with_kms_and_carry_a_sha256_checksum(lake_uri: str) -> None:
    handler(json.loads(FIXTURE.read_text()), context=None)
    s3 = boto3.client("s3")
    key = next(k for k in open_lake(lake_uri).list_keys("raw/") if k.endswith(".json.gz"))
    head = s3.head_object(Bucket=BUCKET, Key=f"lake/{key}", ChecksumMode="ENABLED")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["ChecksumSHA256"]


def test_replaying_the_same_batch_adds_nothing(lake_uri: str) -> None:
    lake = open_lake(lake_uri)
    batch = _batch(50, datetime(2025, 12, 1, 9, 30, tzinfo=UTC))
    _response, first = process(batch, lake)
    keys = lake.list_keys("")
    _response, second = process(copy.deepcopy(batch), lake)
    assert (first.written, second.written, second.already_landed) == (50, 0, 50)
    assert lake.list_keys("") == keys
    assert len(lake_rows(lake, "raw/web/events/")) == 50


def test_one_poison_record_in_a_thousand_is_quarantined_and_nothing_is_retried(lake_uri: str) -> None:
    lake = open_lake(lake_uri)
    batch = _batch(1000, datetime(2025, 12, 1, 0, 0, tzinfo=UTC))
    poison = batch["Records"][417]["kinesis"]
    poison["data"] = "bm90IGpzb24="  # base64 of "not json"
    response, result = process(batch, lake)
    assert response == {"batchItemFailures": []}, "good records must not be retried"
    assert (result.written, result.quarantined) == (999, 1)
    assert len(lake_rows(lake, "raw/web/events/")) == 999
    [bad] = lake_rows(lake, "quarantine/web/events/")
    assert bad["origin"]["sequence_number"] == poison["sequenceNumber"]
    assert bad["reason"].startswith("malformed JSON") and bad["payload"] == "not json"


def _refuse_hour(lake: Any, hour: str, times: int = 1_000_000) -> Any:
    """Make S3 PUTs of one raw hour fail (the first ``times`` of them), as if S3 were down."""
    refusals = [times]

    def refuse(params: dict[str, Any], **_kwargs: Any) -> None:
        if hour in params.get("Key", "") and refusals[0] > 0:
            refusals[0] -= 1
            raise EndpointConnectionError(endpoint_url="https://s3.amazonaws.com")

    lake.client.meta.events.register("before-parameter-build.s3.PutObject", refuse)
    return refuse


def test_a_failed_write_names_the_lowest_failed_record_and_writes_nothing_after_it(lake_uri: str) -> None:
    lake = open_lake(lake_uri)
    batch = _batch(180, datetime(2025, 12, 1, 10, 0, tzinfo=UTC))  # three hours: 10, 11 and 12
    refuse = _refuse_hour(lake, "dt=2025-12-01/hr=11/")
    response, result = process(batch, lake)
    sequences = [r["kinesis"]["sequenceNumber"] for r in batch["Records"]]
    # The Kinesis rule: one identifier, the lowest failed; Lambda redelivers it and all after it.
    assert response == {"batchItemFailures": [{"itemIdentifier": sequences[60]}]}
    assert (result.written, result.not_written, result.retry_from) == (60, 120, sequences[60])
    assert "hr=11" in result.errors[0]
    assert {row["event_id"] for row in lake_rows(lake, "raw/web/events/")} == {
        f"ev-{n:05d}" for n in range(60)
    }, "hour 12 is not written: it comes again with the redelivery"

    lake.client.meta.events.unregister("before-parameter-build.s3.PutObject", refuse)  # type: ignore[attr-defined]
    redelivery = {"Records": batch["Records"][60:]}
    response, result = process(redelivery, lake)
    assert response == {"batchItemFailures": []} and result.written == 120
    ids = [row["event_id"] for row in lake_rows(lake, "raw/web/events/")]
    assert len(ids) == len(set(ids)) == 180


def test_a_record_that_cannot_be_decoded_never_fails_the_batch(
    lake_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loaders.landing import events_writer

    def broken(record: Any) -> Any:
        raise RuntimeError("a bug in the decoder")

    monkeypatch.setattr(events_writer, "_place", broken)
    response, result = process(_batch(3, datetime(2025, 12, 1, tzinfo=UTC)), open_lake(lake_uri))
    assert response == {"batchItemFailures": []}
    assert result.quarantined == 3
    assert result.quarantine_reasons == {"undecodable": 3}


def test_non_base64_data_is_quarantined_not_fatal(lake_uri: str) -> None:
    batch = _batch(2, datetime(2025, 12, 1, tzinfo=UTC))
    batch["Records"][1]["kinesis"]["data"] = "%%% not base64 %%%"
    _response, result = process(batch, open_lake(lake_uri))
    assert (result.written, result.quarantined) == (1, 1)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({}, "expected a 'Records' list"),
        ({"Records": [{"eventID": "shardId-0:1"}]}, "record 0 is not a Kinesis record"),
    ],
)
def test_an_event_that_is_not_a_kinesis_batch_is_a_clear_error(
    lake_uri: str, event: dict[str, Any], message: str
) -> None:
    with pytest.raises(EventShapeError, match=message):
        handler(event, context=None)


def test_the_handler_needs_to_know_where_the_lake_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("C360_LAKE", raising=False)
    kinesis_consumer._lake_from_environment.cache_clear()
    with pytest.raises(EventShapeError, match="C360_LAKE is not set"):
        handler(json.loads(FIXTURE.read_text()), context=None)


# --- the poller (c360 consume) ------------------------------------------------------------


@pytest.fixture
def stream_with_events(moto_aws: None) -> Any:
    client = boto3.client("kinesis")
    client.create_stream(StreamName="events", ShardCount=1)
    start = datetime(2025, 12, 1, 10, 0, tzinfo=UTC)
    records = [
        {
            "Data": event_bytes(event_id=f"p{n}", occurred_at=(start + timedelta(minutes=n)).isoformat()),
            "PartitionKey": "a1",
        }
        for n in range(120)
    ]
    client.put_records(StreamName="events", Records=records)
    return client


def test_poll_retries_failed_records_and_checkpoints_after_success(
    stream_with_events: Any, s3_bucket: str
) -> None:
    lake = open_lake(f"s3://{s3_bucket}/lake")
    refusals = iter([True])  # the first raw-event PUT fails, as if S3 were briefly unavailable

    def refuse_once(params: dict[str, Any], **_kwargs: Any) -> None:
        if "raw/web/events/" in params.get("Key", "") and next(refusals, False):
            raise EndpointConnectionError(endpoint_url="https://s3.amazonaws.com")

    lake.client.meta.events.register("before-parameter-build.s3.PutObject", refuse_once)  # type: ignore[attr-defined]
    calls: list[int] = []

    def counted(event: dict[str, Any], target: Any) -> Any:
        calls.append(len(event["Records"]))
        return process(event, target)

    report = event_source_mapping.poll(
        stream_with_events, "events", lake, batch_size=50, sleep=lambda _s: None, invoke=counted
    )
    assert calls == [50, 50, 50, 20], "the failed page is invoked again, then the rest"
    assert report.delivery.redelivered == 50
    assert (report.delivery.result.received, report.delivery.result.written) == (120, 120)
    ids = [row["event_id"] for row in lake_rows(lake, "raw/web/events/")]
    assert sorted(ids) == sorted(f"p{n}" for n in range(120))
    again = event_source_mapping.poll(stream_with_events, "events", lake, sleep=lambda _s: None)
    assert again.delivery.result.received == 0, "the checkpoint is kept in the lake"


def test_poll_stops_without_checkpointing_past_records_that_keep_failing(
    stream_with_events: Any, s3_bucket: str
) -> None:
    lake = open_lake(f"s3://{s3_bucket}/lake")

    def always_failing(event: dict[str, Any], target: Any) -> Any:
        _response, result = process(event, target)
        return {
            "batchItemFailures": [{"itemIdentifier": event["Records"][0]["kinesis"]["sequenceNumber"]}]
        }, result

    with pytest.raises(event_source_mapping.ConsumeError, match="still failing after 3 attempts"):
        event_source_mapping.poll(
            stream_with_events, "events", lake, max_attempts=3, sleep=lambda _s: None, invoke=always_failing
        )
    assert not lake.list_keys("_state/"), "no checkpoint past a failing record"
    report = event_source_mapping.poll(stream_with_events, "events", lake, sleep=lambda _s: None)
    assert report.delivery.result.received == 120 and report.delivery.result.written < 120, (
        "a rerun starts from the old checkpoint"
    )
