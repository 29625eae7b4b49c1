"""The Kinesis event source mapping, as Lambda runs it, for driving the consumer off AWS.

In production Lambda reads each shard in order and invokes the consumer with batches of at
most ``BatchSize`` records and 6 MB of payload. With ``ReportBatchItemFailures`` the
function answers with the sequence number of the first record it could not handle; Lambda
then checkpoints just before that record and delivers again *from* it: that record and
every record after it, including the ones that succeeded (AWS Lambda guide, "Configuring
partial batch response with Kinesis Data Streams"). A function error retries the whole
batch. Raw events are therefore *at least once*; staging keeps one row per ``event_id``.

``EventSourceMapping.deliver`` does exactly that for one shard's records, and is the one
stand-in used by ``c360 stream --to local`` (``loaders.kinesis_producer.LocalSink``) and by
``c360 consume`` (``poll``, which reads a real stream or moto_server with GetRecords).
Where Lambda would give up after ``MaximumRetryAttempts`` and move on, this stops instead
and reports the records from the stuck one on, so nothing is skipped silently.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from loaders.lake.storage import Lake
from loaders.landing.events_writer import WriteResult
from loaders.streaming.kinesis_consumer import (
    DEFAULT_BATCH_SIZE,
    MAX_INVOKE_PAYLOAD_BYTES,
    event_payload_bytes,
    kinesis_event,
    process,
)

CHECKPOINT_PREFIX = "_state/kinesis"
Invoke = Callable[[dict[str, Any], Lake], tuple[dict[str, Any], WriteResult]]


@dataclass(frozen=True)
class ShardRecord:
    """One record of a shard as GetRecords returns it."""

    sequence_number: str
    data: bytes
    partition_key: str
    arrival: float  # epoch seconds (ApproximateArrivalTimestamp)


@dataclass
class DeliveryReport:
    invocations: int = 0
    redelivered: int = 0  # records delivered again because an earlier record in their batch failed
    result: WriteResult = field(default_factory=WriteResult)
    stuck: list[ShardRecord] = field(default_factory=list)  # from the record that kept failing on
    error: str | None = None

    def add(self, other: DeliveryReport) -> None:
        self.invocations += other.invocations
        self.redelivered += other.redelivered
        self.result.add(other.result)
        self.stuck.extend(other.stuck)
        self.error = self.error or other.error


class EventSourceMapping:
    """Invokes the consumer for one stream's shards the way the Lambda event source mapping does."""

    def __init__(
        self,
        lake: Lake,
        stream_arn: str,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        invoke: Invoke | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch size {batch_size}: must be at least 1")
        self.lake = lake
        self.stream_arn = stream_arn
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.sleep = sleep
        self.invoke = invoke or process  # the consumer's own entry point unless a test wraps it

    def _batch(self, records: Sequence[ShardRecord], start: int) -> Sequence[ShardRecord]:
        end, payload = start, 0
        while end < len(records) and end - start < self.batch_size:
            grows = event_payload_bytes(len(records[end].data), records[end].partition_key)
            if end > start and payload + grows > MAX_INVOKE_PAYLOAD_BYTES:
                break
            payload += grows
            end += 1
        return records[start:end]

    def deliver(self, shard_id: str, records: Sequence[ShardRecord]) -> DeliveryReport:
        """Deliver a shard's records in order, redelivering from the lowest failure each time."""
        report = DeliveryReport()
        position, attempts = 0, 0
        while position < len(records):
            batch = self._batch(records, position)
            event = kinesis_event(
                [(shard_id, r.sequence_number, r.data, r.partition_key, r.arrival) for r in batch],
                self.stream_arn,
            )
            report.invocations += 1
            try:
                response, result = self.invoke(event, self.lake)
                failures = [item["itemIdentifier"] for item in response["batchItemFailures"]]
                error = result.errors[0] if result.errors else "the function reported a failure"
            except Exception as exc:  # a function error: Lambda retries the whole batch
                result, failures, error = WriteResult(), [batch[0].sequence_number], str(exc)
            report.result.add(result.settled())
            if not failures:
                position += len(batch)
                attempts = 0
                continue
            sequences = [record.sequence_number for record in batch]
            # The checkpoint goes just before the lowest failed record; an identifier that is
            # not in the batch makes Lambda treat the whole batch as failed.
            failed_at = min((sequences.index(f) for f in failures if f in sequences), default=0)
            attempts = attempts + 1 if failed_at == 0 else 1
            report.redelivered += len(batch) - failed_at
            position += failed_at
            if attempts >= self.max_attempts:
                report.stuck = list(records[position:])
                report.error = (
                    f"{len(report.stuck)} records of {shard_id} not delivered: sequence number"
                    f" {records[position].sequence_number} still failing after {attempts} attempts: {error}"
                )
                return report
            self.sleep(min(0.1 * 2**attempts, 5.0))
        return report


# --- reading a real stream ----------------------------------------------------------------


@dataclass
class ConsumeReport:
    shards: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


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
    invoke: Invoke | None = None,
) -> ConsumeReport:
    """Drain every shard of ``stream`` into the lake, then stop (bounded by ``max_seconds``).

    Each GetRecords page goes through the event source mapping; the shard's checkpoint (the
    last sequence number done, kept in the lake under ``_state/``) moves only once the whole
    page is delivered.
    """
    deadline = time.monotonic() + max_seconds
    description = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    mapping = EventSourceMapping(lake, description["StreamARN"], batch_size, max_attempts, sleep, invoke)
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
                records = [
                    ShardRecord(
                        entry["SequenceNumber"],
                        bytes(entry["Data"]),
                        entry["PartitionKey"],
                        entry["ApproximateArrivalTimestamp"].timestamp(),
                    )
                    for entry in page["Records"]
                ]
                delivered = mapping.deliver(shard, records)
                report.delivery.add(delivered)
                if delivered.error is not None:
                    raise ConsumeError(delivered.error)
                lake.put_bytes(checkpoint_key, records[-1].sequence_number.encode("ascii"))
            elif page.get("MillisBehindLatest", 0) == 0:
                break  # caught up with the tip of this shard
    return report
