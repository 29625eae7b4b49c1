"""Kinesis consumer: the Lambda handler, and a poller that drives it like the event source mapping.

``handler(event, context)`` is what AWS Lambda calls with a batch of Kinesis records (event
source mapping with ``FunctionResponseTypes: [ReportBatchItemFailures]``). It stays thin:
it turns the event into ``RawRecord``s, hands them to ``loaders.events_writer`` (decode,
validate, quarantine, write gzip NDJSON by dt/hr with lineage) and returns the partial
batch response. A bad record never fails the batch: it is quarantined with its reason. Only
a failed write does, and then the response names the *lowest* sequence number not written:
Lambda checkpoints before it and delivers it and every later record again (the Kinesis
rule, unlike SQS, where only the named records come back). Object keys are deterministic,
so a batch redelivered whole writes nothing new.

``loaders.event_source_mapping`` drives ``process`` the way Lambda does, for ``c360
consume`` and ``c360 stream --to local``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from datetime import UTC, datetime
from functools import cache
from typing import Any

from loaders.lake.storage import Lake, open_lake
from loaders.landing.events_writer import RawRecord, WriteResult, write_batch

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
    its origin instead of the batch failing. An event that is not a Kinesis batch at all is
    a configuration error and raises.
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


def process(
    event: dict[str, Any], lake: Lake, landed_at: datetime | None = None
) -> tuple[dict[str, Any], WriteResult]:
    """Write one Lambda event's records; return the partial batch response and the counts."""
    records = records_from_event(event)
    by_shard: dict[str, list[RawRecord]] = {}
    for record in records:
        by_shard.setdefault(record.shard_id, []).append(record)
    total = WriteResult()
    failures = []
    for shard_records in by_shard.values():
        result = write_batch(lake, shard_records, landed_at)
        if result.retry_from is not None:
            failures.append({"itemIdentifier": result.retry_from})
        total.add(result)
    return {"batchItemFailures": failures}, total


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
        "not_written": result.not_written,
        "retry_from": result.retry_from,
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
