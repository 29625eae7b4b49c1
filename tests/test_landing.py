from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loaders import lake
from loaders.batch_upload import ContractError, land
from loaders.events_writer import RawRecord, write_batch
from loaders.generator import generate
from loaders.lake import open_lake
from tests.conftest import event_bytes, read_csv

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _landed_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_csv_lands_unchanged_under_a_deterministic_name(sample_dir: Path, tmp_path: Path) -> None:
    [result] = land(sample_dir / "products.csv", open_lake(tmp_path), now=NOW)
    assert result.status == "landed"
    assert result.target is not None
    target = Path(result.target)
    assert target.read_bytes() == (sample_dir / "products.csv").read_bytes()
    sha = lake.sha256_file(sample_dir / "products.csv")
    expected = f"raw/shop/products/ingest_date=2026-01-02/products_20260102T030405Z_{sha[:16]}.csv"
    assert target.relative_to(tmp_path).as_posix() == expected


def test_landing_the_same_files_twice_is_a_reported_no_op(sample_dir: Path, tmp_path: Path) -> None:
    first = land(sample_dir, open_lake(tmp_path), now=NOW)
    files = _landed_files(tmp_path)
    later = datetime(2026, 3, 1, tzinfo=UTC)  # another day: still recognised by content
    second = land(sample_dir, open_lake(tmp_path), now=later)
    assert {r.status for r in first} == {"landed"}
    assert {r.status for r in second} == {"already landed"}
    assert _landed_files(tmp_path) == files


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda h: h.replace("email,", ""), "missing column 'email'"),
        (lambda h: h.replace("email", "e_mail"), "missing column 'email'"),
        (lambda h: h + ",loyalty_tier", "unexpected column 'loyalty_tier'"),
        (lambda h: h + ",email", "column 'email' appears more than once"),
        (lambda h: h.replace("first_name,last_name", "last_name,first_name"), "'last_name' is at position 2"),
    ],
)
def test_bad_header_lands_nothing(sample_dir: Path, tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    inbox = tmp_path / "inbox"
    shutil.copytree(sample_dir, inbox)
    text = (inbox / "customers.csv").read_text()
    header, rest = text.split("\n", 1)
    (inbox / "customers.csv").write_text(edit(header.replace('"', "")) + "\n" + rest)
    with pytest.raises(ContractError, match=message):
        land(inbox, open_lake(tmp_path / "lake"))
    assert not (tmp_path / "lake").exists(), "nothing may land when one file breaks its contract"


def test_unknown_and_empty_files_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ContractError, match="cannot tell which entity"):
        land(tmp_path / "orders.csv", open_lake(tmp_path / "lake"))
    (tmp_path / "customers.csv").write_text("")
    with pytest.raises(ContractError, match="empty file"):
        land(tmp_path / "customers.csv", open_lake(tmp_path / "lake"))
    with pytest.raises(ContractError, match="no such file"):
        land(tmp_path / "missing", open_lake(tmp_path / "lake"))


def test_a_crash_mid_write_leaves_no_visible_file(
    sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash_halfway(source, sink, length=0):  # type: ignore[no-untyped-def]
        sink.write(source.read(100))
        raise OSError("disk full")

    monkeypatch.setattr(lake.shutil, "copyfileobj", crash_halfway)
    with pytest.raises(OSError, match="disk full"):
        land(sample_dir / "customers.csv", open_lake(tmp_path), now=NOW)
    assert _landed_files(tmp_path) == []
    monkeypatch.undo()
    [result] = land(sample_dir / "customers.csv", open_lake(tmp_path), now=NOW)
    assert result.status == "landed", "a retry after the crash lands the file"


def test_a_killed_writer_leaves_only_a_hidden_temp_file(tmp_path: Path) -> None:
    target = tmp_path / lake.shop_key("customers", NOW, "ab" * 32)
    writer = lake.atomic_writer(target)
    handle = writer.__enter__()
    handle.write(b"customer_id,first_name\n")  # the process dies here: no __exit__
    leftovers = _landed_files(tmp_path)
    assert (
        len(leftovers) == 1 and leftovers[0].name.startswith(".") and leftovers[0].suffix == lake.TEMP_SUFFIX
    )
    assert not target.exists()
    assert not list(tmp_path.glob("raw/shop/*/*/*.csv")), "the dbt source glob must not see it"
    assert open_lake(tmp_path).is_empty()
    writer.__exit__(None, None, None)


def _gz_rows(path: Path) -> list[dict]:  # type: ignore[type-arg]
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_events_land_by_hour_and_nothing_is_lost(tmp_path: Path) -> None:
    generate(tmp_path / "in", scale=0.02, seed=5, dirty=0.01)
    key = json.loads((tmp_path / "in" / "answer_key.json").read_text())
    [result] = land(tmp_path / "in" / "events.jsonl.gz", open_lake(tmp_path / "lake"), now=NOW)
    injected = key["injected"]["events"]
    expected_quarantine = injected["malformed_json"] + injected["wrong_types"] + injected["missing_required"]
    assert result.quarantined == expected_quarantine > 0
    landed = []
    for path in (tmp_path / "lake").glob("raw/web/events/dt=*/hr=*/*.json.gz"):
        rows = _gz_rows(path)
        dt, hr = path.parent.parent.name[3:], path.parent.name[3:]
        assert all(r["occurred_at"].startswith(f"{dt}T{hr}") for r in rows)
        landed.extend(rows)
    assert len(landed) + result.quarantined == result.rows == key["rows_written"]["events"]
    assert {"_kinesis_shard_id", "_kinesis_sequence_number", "_kinesis_arrival_at", "_landed_at"} <= set(
        landed[0]
    )
    quarantined = [
        row for p in (tmp_path / "lake").glob("quarantine/web/events/*/*.json.gz") for row in _gz_rows(p)
    ]
    assert len(quarantined) == expected_quarantine
    reasons = {q["reason"].split(":")[0] for q in quarantined}
    assert reasons == {"malformed JSON", "contract"}
    assert all(q["origin"]["sequence_number"] and "payload" in q for q in quarantined)
    again = land(tmp_path / "in" / "events.jsonl.gz", open_lake(tmp_path / "lake"), now=NOW)
    assert again[0].status == "already landed"


def test_non_utf8_and_oversize_records_are_quarantined_with_reasons(tmp_path: Path) -> None:
    records = [
        RawRecord("shard-1", "001", event_bytes(), NOW),
        RawRecord("shard-1", "002", b"\xff\xfe not utf-8", NOW),
        RawRecord("shard-1", "003", b" " * (1024 * 1024 + 1), NOW),
        RawRecord("shard-1", "004", event_bytes(event_type="teleport"), NOW),
    ]
    result = write_batch(open_lake(tmp_path), records, NOW)
    assert (result.received, result.written, result.quarantined) == (4, 1, 3)
    rows = [row for p in tmp_path.glob("quarantine/**/*.json.gz") for row in _gz_rows(p)]
    reasons = sorted(r["reason"].split(":")[0] for r in rows)
    assert reasons == ["contract", "not UTF-8", "oversize"]
    assert any("payload_base64" in r for r in rows)


def test_late_events_land_in_the_partition_they_occurred_in(tmp_path: Path) -> None:
    late = event_bytes(event_id="late", occurred_at="2025-12-01T23:59:59Z")
    write_batch(open_lake(tmp_path), [RawRecord("s", "9", late, NOW)], NOW)
    [path] = tmp_path.glob("raw/web/events/*/*/*.json.gz")
    assert path.parent.as_posix().endswith("dt=2025-12-01/hr=23")


def test_the_landed_csv_keeps_every_row(sample_dir: Path, tmp_path: Path) -> None:
    [result] = land(sample_dir / "transactions.csv", open_lake(tmp_path), now=NOW)
    assert result.rows == len(read_csv(sample_dir / "transactions.csv"))
