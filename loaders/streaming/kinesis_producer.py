"""Kinesis producer: send an events file to a stream, or straight to the consumer handler.

Each non-empty line of the file (``.jsonl`` or ``.jsonl.gz``) is one record, sent as is:
the consumer validates and quarantines, so a malformed line still travels and is kept with
its reason. The partition key is the event's ``anonymous_id`` (one device's events stay in
order on one shard); a line without one is keyed by its hash.

- ``KinesisSink``: PutRecords calls of at most 500 records and 5 MiB. Only the entries that
  failed (per-record error codes) are sent again, with bounded exponential backoff and
  jitter; after the last attempt they are reported with their payload (``c360 stream``
  writes them to a failures file), never silently dropped.
- ``LocalSink``: spreads records over shards as Kinesis would and delivers them to the
  consumer in-process through ``loaders.event_source_mapping`` (batches of at most
  ``batch_size`` records and 6 MB; after a failed write, redelivery from the lowest failed
  sequence number on, as Lambda does), into the local lake.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from loaders.lake.lines import bounded_lines
from loaders.lake.storage import Lake
from loaders.streaming import kinesis_consumer
from loaders.streaming.event_source_mapping import DeliveryReport, EventSourceMapping, ShardRecord

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024  # data plus partition key
MAX_PARTITION_KEY_CHARS = 256


@dataclass(frozen=True)
class ProducerRecord:
    line_number: int
    data: bytes  # a line over the limit: its first bytes only (see ``length``)
    partition_key: str
    length: int | None = None  # the line's full length, when it was cut

    @property
    def size(self) -> int:
        length = len(self.data) if self.length is None else self.length
        return length + len(self.partition_key.encode("utf-8"))


@dataclass(frozen=True)
class FailedRecord:
    line_number: int
    error_code: str
    message: str
    data: bytes = field(repr=False, default=b"")
    length: int | None = None  # a cut line's full length (``data`` holds its first bytes)

    def as_quarantine_entry(self) -> dict[str, Any]:
        """The failure as a quarantine line: reason, origin and the payload it carried."""
        try:
            payload: dict[str, str] = {"payload": self.data.decode("utf-8")}
        except UnicodeDecodeError:
            payload = {"payload_base64": base64.b64encode(self.data).decode("ascii")}
        return {
            "reason": f"{self.error_code}: {self.message}",
            "origin": {"line": self.line_number},
            **payload,
            **({"length": self.length} if self.length is not None else {}),
        }


@dataclass
class StreamReport:
    sent: int = 0
    retried: int = 0
    calls: int = 0
    failed: list[FailedRecord] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "calls": self.calls,
            "failed": len(self.failed),
            "failures": [
                {"line": f.line_number, "error_code": f.error_code, "message": f.message} for f in self.failed
            ],
        }

    def keep_failures(self, path: Path) -> None:
        """Write the records that were not sent, with their reasons and payloads, one JSON
        object per line (the shape of the lake's quarantine entries)."""
        with path.open("w", encoding="utf-8") as handle:
            for failure in self.failed:
                handle.write(json.dumps(failure.as_quarantine_entry(), ensure_ascii=False) + "\n")


class _Keyed(msgspec.Struct):
    """All the producer reads of an event: its anonymous_id (every other field is skipped)."""

    anonymous_id: object = None


_KEY_DECODER = msgspec.json.Decoder(_Keyed)


def partition_key(data: bytes) -> str:
    """The record's anonymous_id, or a hash of its bytes when it has none, is not a JSON
    object, is nested too deeply to read, or is too large to send (it is never parsed)."""
    value: object = None
    if len(data) <= MAX_RECORD_BYTES:
        try:
            value = _KEY_DECODER.decode(data).anonymous_id
        except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
            value = None
    if isinstance(value, str) and 0 < len(value) <= MAX_PARTITION_KEY_CHARS:
        return value
    return hashlib.sha256(data).hexdigest()


def read_records(path: Path) -> Iterator[ProducerRecord]:
    """The non-empty lines of an events file, as records in file order, read in bounded
    chunks: a line longer than a record may be is cut (its first bytes and its length) and
    will be refused as too large, never held whole."""
    opener: Callable[..., Any] = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        for line in bounded_lines(handle, MAX_RECORD_BYTES):
            if line.cut:
                yield ProducerRecord(
                    line.number, line.data, hashlib.sha256(line.data).hexdigest(), line.length
                )
                continue
            data = line.data.removesuffix(b"\r")
            if data.strip():
                yield ProducerRecord(line.number, data, partition_key(data))


def put_records_batches(
    records: Iterable[ProducerRecord], max_records: int = MAX_RECORDS_PER_CALL
) -> Iterator[list[ProducerRecord]]:
    """Group records into PutRecords calls: at most 500 records and 5 MiB each."""
    batch: list[ProducerRecord] = []
    size = 0
    for record in records:
        if batch and (len(batch) == max_records or size + record.size > MAX_BYTES_PER_CALL):
            yield batch
            batch, size = [], 0
        batch.append(record)
        size += record.size
    if batch:
        yield batch


Failure = tuple[ProducerRecord, str, str]  # the record, its error code and message


class _EntriesFailedError(Exception):
    def __init__(self, failures: list[Failure]) -> None:
        super().__init__(f"{len(failures)} records failed")
        self.failures = failures


class KinesisSink:
    """Sends batches with PutRecords, re-sending only the entries that failed."""

    def __init__(
        self,
        client: Any,
        stream: str,
        max_attempts: int = 6,
        base_delay: float = 0.1,
        max_delay: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.stream = stream
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep

    def _put(self, batch: list[ProducerRecord], report: StreamReport) -> list[Failure]:
        report.calls += 1
        try:
            response = self.client.put_records(
                StreamName=self.stream,
                Records=[{"Data": record.data, "PartitionKey": record.partition_key} for record in batch],
            )
        except Exception as exc:  # the whole call failed (throttled, unreachable): all may retry
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
            return [(record, code, str(exc)) for record in batch]
        return [
            (record, entry["ErrorCode"], entry.get("ErrorMessage", ""))
            for record, entry in zip(batch, response["Records"], strict=True)
            if entry.get("ErrorCode")
        ]

    def send(self, batch: list[ProducerRecord], report: StreamReport) -> None:
        pending = batch
        last_failures: list[Failure] = []
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_random_exponential(multiplier=self.base_delay, max=self.max_delay),
            retry=retry_if_exception_type(_EntriesFailedError),
            sleep=self.sleep,
        )
        try:
            for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        report.retried += len(pending)
                    last_failures = self._put(pending, report)
                    report.sent += len(pending) - len(last_failures)
                    if last_failures:
                        pending = [record for record, _code, _message in last_failures]
                        raise _EntriesFailedError(last_failures)
        except RetryError:
            report.failed.extend(
                FailedRecord(record.line_number, code, message, record.data)
                for record, code, message in last_failures
            )


class LocalSink:
    """Feeds the consumer in-process, through the event source mapping stand-in, per shard.

    Records are spread over ``shards`` by the MD5 of their partition key, as Kinesis does,
    numbered in order per shard, and delivered in chunks; a record that keeps failing is
    reported with everything after it on its shard (nothing is skipped).
    """

    CHUNK_RECORDS = 50_000

    def __init__(
        self,
        lake: Lake,
        batch_size: int = kinesis_consumer.DEFAULT_BATCH_SIZE,
        shards: int = 1,
        stream: str = "local",
        max_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if shards < 1:
            raise ValueError(f"--shards {shards}: must be at least 1")
        self.shards = shards
        self.mapping = EventSourceMapping(
            lake,
            f"arn:aws:kinesis:us-east-1:000000000000:stream/{stream}",
            batch_size=batch_size,
            max_attempts=max_attempts,
            sleep=sleep,
        )
        self.delivery = DeliveryReport()
        self._sequence = [0] * shards
        self._pending: list[list[tuple[ProducerRecord, ShardRecord]]] = [[] for _ in range(shards)]
        self._stuck = [False] * shards

    def _shard_for(self, key: str) -> int:
        # Kinesis maps the MD5 of the partition key onto evenly split hash-key ranges.
        return int.from_bytes(hashlib.md5(key.encode("utf-8")).digest(), "big") * self.shards >> 128

    def send(self, batch: list[ProducerRecord], report: StreamReport) -> None:
        arrival = datetime.now(UTC).timestamp()
        for record in batch:
            shard = self._shard_for(record.partition_key)
            self._sequence[shard] += 1
            shard_record = ShardRecord(
                f"{self._sequence[shard]:021d}", record.data, record.partition_key, arrival
            )
            self._pending[shard].append((record, shard_record))
            if len(self._pending[shard]) >= self.CHUNK_RECORDS:
                self._deliver(shard, report)

    def flush(self, report: StreamReport) -> None:
        for shard in range(self.shards):
            if self._pending[shard]:
                self._deliver(shard, report)

    def _deliver(self, shard: int, report: StreamReport) -> None:
        pending, self._pending[shard] = self._pending[shard], []
        if self._stuck[shard]:  # the shard is blocked behind a failing record: keep order
            report.failed.extend(
                _not_delivered(record, "an earlier record of its shard failed") for record, _ in pending
            )
            return
        delivery = self.mapping.deliver(
            f"shardId-{shard:012d}", [shard_record for _, shard_record in pending]
        )
        self.delivery.add(delivery)
        report.calls += delivery.invocations
        report.retried += delivery.redelivered
        stuck = len(delivery.stuck)
        report.sent += len(pending) - stuck
        if stuck:
            self._stuck[shard] = True
            report.failed.extend(
                _not_delivered(record, delivery.error or "") for record, _ in pending[len(pending) - stuck :]
            )


def _not_delivered(record: ProducerRecord, message: str) -> FailedRecord:
    return FailedRecord(record.line_number, "ConsumerWriteFailed", message, record.data)


def kinesis_client(endpoint_url: str | None = None) -> Any:
    """A Kinesis client, through the endpoint override (moto_server, LocalStack) if set."""
    import boto3

    return boto3.client("kinesis", endpoint_url=endpoint_url)


class KinesisTarget:
    """Parsed ``--to``: ``kinesis://STREAM`` or ``local``."""

    def __init__(self, text: str) -> None:
        if text == "local":
            self.stream: str | None = None
        elif text.startswith("kinesis://") and len(text) > len("kinesis://"):
            self.stream = text.removeprefix("kinesis://").strip("/")
        else:
            raise ValueError(f"--to {text}: expected kinesis://STREAM or local")


def stream(
    records: Iterable[ProducerRecord],
    sink: KinesisSink | LocalSink,
    rate: float | None = None,
    on_progress: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> StreamReport:
    """Send every record through ``sink``, at most ``rate`` records per second if given."""
    if rate is not None and rate <= 0:
        raise ValueError(f"--rate {rate}: must be a positive number of records per second")
    report = StreamReport()
    per_call = MAX_RECORDS_PER_CALL if rate is None else max(1, min(MAX_RECORDS_PER_CALL, int(rate)))
    started = clock()
    done = 0
    for batch in put_records_batches(records, per_call):
        fits = [record for record in batch if record.size <= MAX_RECORD_BYTES]
        report.failed.extend(_too_large(record) for record in batch if record.size > MAX_RECORD_BYTES)
        if fits:
            sink.send(fits, report)
        done += len(batch)
        if on_progress is not None:
            on_progress(len(batch))
        if rate is not None:
            ahead = started + done / rate - clock()
            if ahead > 0:
                sleep(ahead)
    if isinstance(sink, LocalSink):
        sink.flush(report)
    return report


def _too_large(record: ProducerRecord) -> FailedRecord:
    kept = f"; its first {len(record.data)} bytes are kept" if record.length is not None else ""
    return FailedRecord(
        record.line_number,
        "RecordTooLarge",
        f"record is {record.size} bytes with its partition key; Kinesis takes at most {MAX_RECORD_BYTES}"
        + kept,
        record.data,
        record.length,
    )
