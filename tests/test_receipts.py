"""Landing receipts: every raw and quarantine object counted once, replays and crashes included."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from c360.pipeline.changes import previous_runs
from c360.pipeline.context import RunContext
from c360.settings import Settings
from loaders.contracts import contract
from loaders.lake import receipts
from loaders.lake.layout import receipt_key
from loaders.lake.storage import LocalLake, open_lake
from loaders.landing.batch_upload import land, unland
from loaders.landing.events_writer import RawRecord, write_batch
from tests.conftest import event_bytes

MOMENT = datetime(2026, 1, 1, 12, tzinfo=UTC)


def _records(*bodies: bytes) -> list[RawRecord]:
    return [RawRecord("shard-1", f"{n:05d}", body, MOMENT) for n, body in enumerate(bodies, start=1)]


def test_a_shop_export_gets_one_receipt_with_its_rows_and_quarantined_rows(tmp_path: Path) -> None:
    lake = open_lake(tmp_path / "lake")
    header = ",".join(contract("products").columns)
    good = "P1,Mug,Home,Kitchen,Acme,9.99,3.10,true,2026-01-01T00:00:00Z"
    (tmp_path / "products.csv").write_text(f"{header}\n{good}\nP2,Cup\n{good.replace('P1', 'P3')}\n")
    land(tmp_path / "products.csv", lake, MOMENT)
    land(tmp_path / "products.csv", lake, MOMENT)  # the same export again: no second receipt
    totals = receipts.totals(lake)["shop.products"]
    assert (totals.received, totals.written, totals.quarantined, totals.objects) == (3, 2, 1, 1)
    assert totals.reasons == {"wrong number of fields": 1}


def test_events_receipts_add_up_to_what_the_batch_received(tmp_path: Path) -> None:
    lake = open_lake(tmp_path / "lake")
    batch = _records(
        event_bytes(event_id="e1"),
        event_bytes(event_id="e2", occurred_at="2026-01-01T11:00:00Z"),
        b"not json",
    )
    result = write_batch(lake, batch, MOMENT)
    write_batch(lake, batch, MOMENT)  # a replay: objects and receipts already there
    totals = receipts.totals(lake)["web.events"]
    assert (totals.received, totals.written, totals.quarantined) == (3, 2, 1)
    assert totals.received == result.received
    assert dict(totals.reasons) == result.quarantine_reasons


def test_a_writer_killed_before_its_receipt_gets_it_written_by_the_replay(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path / "lake")
    batch = _records(event_bytes(event_id="e1"), event_bytes(event_id="e2"))
    write_batch(lake, batch, MOMENT)
    [raw] = lake.list_keys("raw/")
    lake.delete([receipt_key(raw)])  # as if killed between the object and its receipt
    assert "web.events" not in receipts.totals(lake)
    again = write_batch(lake, batch, MOMENT)
    assert again.already_landed == 2
    assert receipts.totals(lake)["web.events"].written == 2


def test_an_unlanded_file_takes_its_receipt_along_and_counts_as_unlanded(tmp_path: Path) -> None:
    lake = open_lake(tmp_path / "lake")
    write_batch(lake, _records(event_bytes(event_id="e1"), event_bytes(event_id="e2")), MOMENT)
    [raw] = lake.list_keys("raw/")
    unland(lake, raw, "sent by mistake", MOMENT)
    totals = receipts.totals(lake)["web.events"]
    assert (totals.received, totals.written, totals.unlanded) == (2, 0, 2)
    assert not lake.exists(receipt_key(raw))


class _CountingLake(LocalLake):
    """A local lake that counts the objects read."""

    reads = 0

    def get_bytes(self, key: str) -> bytes:
        self.reads += 1
        return super().get_bytes(key)


def test_a_year_of_hourly_receipts_is_read_from_one_index_and_kept_exact(tmp_path: Path) -> None:
    lake = _CountingLake(tmp_path / "lake")
    hours = 24 * 365
    for hour in range(hours):
        day = f"2025-{1 + hour // 24 // 31 % 12:02d}-{1 + hour // 24 % 28:02d}"
        key = f"raw/web/events/dt={day}/hr={hour % 24:02d}/shardId-{hour:06d}-1-3.json.gz"
        receipts.write(lake, key, receipts.Receipt(received=3, written=3))
    first = receipts.totals(lake)["web.events"]
    assert (first.received, first.objects) == (3 * hours, hours) and lake.reads == hours
    lake.reads = 0
    again = receipts.totals(lake)["web.events"]
    assert lake.reads == 1 and (again.received, again.objects) == (first.received, first.objects)
    # A receipt written since, and one moved away (c360 unland): read and dropped exactly.
    receipts.write(lake, "raw/web/events/dt=2026-01-01/hr=00/new-1-2.json.gz", receipts.Receipt(2, 2))
    gone = "raw/web/events/dt=2025-01-01/hr=00/shardId-000000-1-3.json.gz"
    receipts.move_with(lake, gone, "quarantine/web/events/unlanded/2026-01-01/x.json.gz")
    lake.reads = 0
    later = receipts.totals(lake)["web.events"]
    assert lake.reads == 3  # the index, the new receipt, the moved one under its new key
    assert (later.received, later.written, later.unlanded) == (3 * hours + 2, 3 * hours - 1, 3)


def test_the_run_ledger_reads_a_year_of_hourly_run_documents_through_one_index(tmp_path: Path) -> None:
    lake = _CountingLake(tmp_path / "lake")
    settings = Settings.resolve(lake=tmp_path / "lake", warehouse=tmp_path / "c360.duckdb", target="local")
    context = RunContext(settings, {}, _lake=lake)
    hours = 24 * 365
    for hour in range(hours):
        lake.put_bytes(f"_runs/run-{hour:05d}.json", json.dumps({"run_id": f"run-{hour:05d}"}).encode())
    assert [run["run_id"] for run in previous_runs(context)] == [f"run-{hour:05d}" for hour in range(hours)]
    assert lake.reads == hours
    lake.reads = 0
    lake.put_bytes("_runs/run-99999.json", json.dumps({"run_id": "run-99999"}).encode())
    lake.delete(["_runs/run-00000.json"])
    runs = previous_runs(context)
    assert lake.reads == 2  # the index and the new document
    assert (len(runs), runs[0]["run_id"], runs[-1]["run_id"]) == (hours, "run-00001", "run-99999")


def test_a_run_reads_the_receipts_once_for_freshness_and_the_accounts(tmp_path: Path) -> None:
    lake = _CountingLake(tmp_path / "lake")
    for hour in range(24):
        key = f"raw/web/events/dt=2025-01-01/hr={hour:02d}/s-1-3.json.gz"
        receipts.write(lake, key, receipts.Receipt(3, 3))
    settings = Settings.resolve(lake=tmp_path / "lake", warehouse=tmp_path / "c360.duckdb", target="local")
    context = RunContext(settings, {}, _lake=lake)
    first = context.receipt_totals()
    reads = lake.reads
    assert reads == 24 and context.receipt_totals() is first and lake.reads == reads
