"""Kinesis consumer: the Lambda handler, and a poller that drives it like the event source mapping.

``handler(event, context)`` is what AWS Lambda calls with a batch of Kinesis records (event
source mapping with ``FunctionResponseTypes: [ReportBatchItemFailures]``). It stays thin:
it turns the event into ``RawRecord``s, hands them to ``loaders.events_writer`` (decode,
validate, quarantine, write gzip NDJSON by dt/hr with lineage) and returns the partial
batch response: the sequence numbers of exactly the records whose write failed, so Lambda
retries only those. Object keys are deterministic, so a redelivered batch writes nothing new.

``poll`` reads a stream with GetShardIterator / GetRecords, invokes the same ``process`` as
the handler with Kinesis-shaped events, retries the failed records, and checkpoints a shard
only after a batch fully succeeded. ``c360 consume`` runs it against Kinesis or moto_server.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from loaders.events_writer import RawRecord, WriteResult, write_batch
from loaders.lake import Lake, open_lake

DEFAULT_BATCH_SIZE = 1000  # the event source mapping's BatchSize (Terraform uses the same)
MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024  # Lambda's synchronous invocation payload limit
CHECKPOINT_PREFIX = "_state/kinesis"


class EventShapeError(ValueError):
    """The Lambda event is not a Kinesis batch (no Records, or a record without its envelope)."""


def _shard_of(event_id: str) -> str:
    # eventID is "<shard id>:<sequence number>".
    return event_id.split(":", 1)[0]


def records_from_event(event: dict[str, Any]) -> list[RawRecord]:
    """The batch's records: decoded bytes, shard, sequence number and arrival time.

    Data that is not valid base64 is kept as its text, so the writer quarantines it with
    its origin instead of the batch failing.
    """
    entries = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(entries, list):
        raise EventShapeError("not a Kinesis event: expected a 'Records' list")
    records = []
    arrivals: dict[float, datetime] = {}  # records of a batch share few arrival times
    for position, entry in enumerate(entries):
        try:
            kinesis = entry["kinesis"]
            sequence = kinesis["sequenceNumber"]
            shard = _shard_of(entry["eventID"])
            stamp = float(kinesis["approximateArrivalTimestamp"])
            encoded = kinesis["data"]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise EventShapeError(f"record {position} is not a Kinesis record: bad {exc}") from None
        if not isinstance(sequence, str):
            raise EventShapeError(
                f"record {position} is not a Kinesis record: sequenceNumber is not a string"
            )
        arrival = arrivals.get(stamp)
        if arrival is None:
            arrival = arrivals[stamp] = datetime.fromtimestamp(stamp, UTC)
        try:
            data = binascii.a2b_base64(encoded, strict_mode=True)
        except (binascii.Error, ValueError, TypeError):
            data = str(encoded).encode("utf-8")
        records.append(RawRecord(shard, sequence, data, arrival))
    return records


Invoke = Callable[[dict[str, Any], "Lake"], tuple[dict[str, Any], WriteResult]]


def process(
    event: dict[str, Any], lake: Lake, landed_at: datetime | None = None
) -> tuple[dict[str, Any], WriteResult]:
    """Write one Lambda event's records; return the partial batch response and the counts."""
    records = records_from_event(event)
    by_shard: dict[str, list[RawRecord]] = {}
    for record in records:
        by_shard.setdefault(record.shard_id, []).append(record)
    total = WriteResult()
    for shard_records in by_shard.values():
        total.add(write_batch(lake, shard_records, landed_at))
    response = {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in total.failed]}
    return response, total


@cache
def _lake_from_environment() -> Lake:
    # Built once per Lambda container (cold start), reused by every invocation.
    uri = os.environ.get("C360_LAKE")
    if not uri:
        raise EventShapeError("C360_LAKE is not set: the consumer does not know where the lake is")
    return open_lake(uri)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """AWS Lambda entry point (Kinesis event source, ReportBatchItemFailures)."""
    response, result = process(event, _lake_from_environment())
    summary = {
        "received": result.received,
        "written": result.written,
        "already_landed": result.already_landed,
        "quarantined": result.quarantined,
        "quarantine_reasons": result.quarantine_reasons,
        "failed": len(result.failed),
        "errors": result.errors[:5],
    }
    print(json.dumps({"message": "kinesis batch processed", **summary}))  # one structured log line
    return response


# --- Kinesis-shaped events --------------------------------------------------------------


def kinesis_event(
    records: list[tuple[str, str, bytes, str, float]], stream_arn: str, region: str = "us-east-1"
) -> dict[str, Any]:
    """A Lambda event as the Kinesis event source mapping builds it.

    ``records`` are (shard id, sequence number, data, partition key, arrival epoch seconds).
    """
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": partition_key,
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(data).decode("ascii"),
                    "approximateArrivalTimestamp": arrival,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard}:{sequence}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::000000000000:role/c360-consumer",
                "awsRegion": region,
                "eventSourceARN": stream_arn,
            }
            for shard, sequence, data, partition_key, arrival in records
        ]
    }


def event_payload_bytes(data_length: int, partition_key: str) -> int:
    """Roughly what one record adds to the invocation payload (base64 data plus envelope)."""
    return 4 * ((data_length + 2) // 3) + len(partition_key) + 2 * 56 + 400


# --- polling a stream -------------------------------------------------------------------


@dataclass
class ConsumeReport:
    shards: int = 0
    batches: int = 0
    retried: int = 0
    result: WriteResult = field(default_factory=WriteResult)


class ConsumeError(RuntimeError):
    """Records kept failing after every retry; their shard was not checkpointed past them."""


def _checkpoint_key(stream: str, shard: str) -> str:
    return f"{CHECKPOINT_PREFIX}/{stream}/{shard}"


def poll(
    kinesis: Any,
    stream: str,
    lake: Lake,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_attempts: int = 5,
    max_seconds: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
    invoke: Invoke = process,
) -> ConsumeReport:
    """Drain every shard of ``stream`` into the lake, then stop (bounded by ``max_seconds``).

    Each GetRecords page becomes one invocation. Records listed in ``batchItemFailures``
    are re-invoked alone, up to ``max_attempts`` times with backoff; the shard's checkpoint
    (the last sequence number done, kept in the lake) moves only once a page fully succeeded.
    """
    deadline = time.monotonic() + max_seconds
    description = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    stream_arn = description["StreamARN"]
    report = ConsumeReport()
    shards: list[str] = []
    listing = kinesis.list_shards(StreamName=stream)
    while True:
        shards.extend(shard["ShardId"] for shard in listing["Shards"])
        if not listing.get("NextToken"):
            break
        listing = kinesis.list_shards(NextToken=listing["NextToken"])
    report.shards = len(shards)
    for shard in shards:
        checkpoint_key = _checkpoint_key(stream, shard)
        start: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
        if lake.exists(checkpoint_key):
            last = lake.get_bytes(checkpoint_key).decode("ascii").strip()
            start = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": last}
        iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, **start)["ShardIterator"]
        while iterator and time.monotonic() < deadline:
            page = kinesis.get_records(ShardIterator=iterator, Limit=batch_size)
            iterator = page.get("NextShardIterator")
            if page["Records"]:
                _deliver(page["Records"], shard, stream_arn, lake, report, max_attempts, sleep, invoke)
                lake.put_bytes(checkpoint_key, page["Records"][-1]["SequenceNumber"].encode("ascii"))
            elif page.get("MillisBehindLatest", 0) == 0:
                break  # caught up with the tip of this shard
    return report


def _deliver(
    entries: list[dict[str, Any]],
    shard: str,
    stream_arn: str,
    lake: Lake,
    report: ConsumeReport,
    max_attempts: int,
    sleep: Callable[[float], None],
    invoke: Invoke,
) -> None:
    pending = [
        (
            shard,
            entry["SequenceNumber"],
            bytes(entry["Data"]),
            entry["PartitionKey"],
            entry["ApproximateArrivalTimestamp"].timestamp(),
        )
        for entry in entries
    ]
    report.batches += 1
    for attempt in range(max_attempts):
        response, result = invoke(kinesis_event(pending, stream_arn), lake)
        failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        report.result.add(result.settled())  # failed records are counted when they succeed
        if not failed:
            return
        pending = [record for record in pending if record[1] in failed]
        report.retried += len(pending)
        sleep(min(0.1 * 2**attempt, 5.0))
    raise ConsumeError(
        f"{len(pending)} records of {shard} still failing after {max_attempts} attempts"
        f" (first: {pending[0][1]}): {result.errors[0] if result.errors else 'unknown error'}"
    )
