from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from loaders.contracts import contract
from loaders.generator import generate
from loaders.lake import layout, storage
from loaders.lake.storage import open_lake
from loaders.landing import batch_upload
from loaders.landing.batch_upload import ContractError, land, land_events
from loaders.landing.events_writer import MAX_RECORD_BYTES, RawRecord, write_batch
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
    sha = layout.sha256_file(sample_dir / "products.csv")
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

    monkeypatch.setattr(storage.shutil, "copyfileobj", crash_halfway)
    with pytest.raises(OSError, match="disk full"):
        land(sample_dir / "customers.csv", open_lake(tmp_path), now=NOW)
    assert _landed_files(tmp_path) == []
    monkeypatch.undo()
    [result] = land(sample_dir / "customers.csv", open_lake(tmp_path), now=NOW)
    assert result.status == "landed", "a retry after the crash lands the file"


def test_a_killed_writer_leaves_only_a_hidden_temp_file(tmp_path: Path) -> None:
    target = tmp_path / layout.shop_key("customers", NOW, "ab" * 32)
    writer = storage.atomic_writer(target)
    handle = writer.__enter__()
    handle.write(b"customer_id,first_name\n")  # the process dies here: no __exit__
    leftovers = _landed_files(tmp_path)
    assert (
        len(leftovers) == 1
        and leftovers[0].name.startswith(".")
        and leftovers[0].suffix == storage.TEMP_SUFFIX
    )
    assert not target.exists()
    assert not list(tmp_path.glob("raw/shop/*/*/*.csv")), "the dbt source glob must not see it"
    assert open_lake(tmp_path).is_empty()
    writer.__exit__(None, None, None)


def test_a_folder_lake_lists_keys_under_any_prefix_and_never_a_hidden_one(tmp_path: Path) -> None:
    lake = open_lake(tmp_path)
    keys = [
        "raw/a/dt=1/x.json.gz",
        "raw/a/dt=1/y.json.gz",
        "raw/a/dt=10/z.json.gz",
        "raw/b/w.csv",
        "top.json",
    ]
    for key in keys:
        lake.put_bytes(key, b"1")
    (tmp_path / "raw/a/dt=1" / f".x.json.gz{storage.TEMP_SUFFIX}").write_bytes(b"")  # a writer's temp file
    (tmp_path / "raw/.hidden").mkdir()
    (tmp_path / "raw/.hidden/v.csv").write_bytes(b"")
    assert lake.list_keys("") == sorted(keys)
    assert lake.list_keys("raw/a/") == keys[:3]
    assert lake.list_keys("raw/a/dt=1") == keys[:3]  # a prefix is not a folder: dt=10 too
    assert lake.list_keys("raw/a/dt=1/") == keys[:2]
    assert lake.list_keys("raw/a/dt=1/x.json.gz") == keys[:1]
    assert lake.list_keys("raw/c/") == [] and lake.list_keys("nowhere") == []
    assert lake.has_keys("raw/b") and not lake.has_keys("raw/c")


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


# --- every row is read before anything lands; a bad row costs one quarantine entry -----------


def _duckdb_reads(path: Path, entity: str) -> list[tuple[str, ...]]:
    """The file as the dbt source reads it on DuckDB (same options as _shop__sources.yml)."""
    columns = ", ".join(f"{name}: 'varchar'" for name in contract(entity).columns)
    sql = (
        f"select * from read_csv('{path}', header = true, union_by_name = true, delim = ',',"
        f" quote = '\"', escape = '\"', strict_mode = true, columns = {{{columns}}})"
    )
    return duckdb.sql(sql).fetchall()  # type: ignore[no-any-return]


def _products(*rows: str, header: str | None = None) -> str:
    return (header or ",".join(contract("products").columns)) + "\n" + "\n".join(rows) + "\n"


GOOD_PRODUCT = "P1,Mug,Home,Kitchen,Acme,9.99,3.10,true,2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        ("P2,Cup,Home,Kitchen,Acme,4.99,2026-01-01T00:00:00Z", "wrong number of fields: 7, the header has 9"),
        (GOOD_PRODUCT.replace("P1", "P3") + ",", "wrong number of fields: 10, the header has 9"),
        ('P4,"Cup"x,Home,Kitchen,Acme,4.99,1.00,true,2026-01-01T00:00:00Z', "malformed CSV"),
        ("P5,C\x00up,Home,Kitchen,Acme,4.99,1.00,true,2026-01-01T00:00:00Z", "NUL"),
    ],
)
def test_a_bad_csv_row_is_quarantined_and_the_rest_lands_readable(
    tmp_path: Path, bad_row: str, reason: str
) -> None:
    export = tmp_path / "products.csv"
    export.write_text(_products(GOOD_PRODUCT, bad_row, "", GOOD_PRODUCT.replace("P1", "P9")))
    [result] = land(export, open_lake(tmp_path / "lake"), now=NOW)
    assert (result.status, result.rows, result.quarantined) == ("landed", 3, 1)
    [landed] = (tmp_path / "lake").glob("raw/shop/products/*/*.csv")
    assert [row[0] for row in _duckdb_reads(landed, "products")] == ["P1", "P9"]
    [entry] = [
        row for p in (tmp_path / "lake").glob("quarantine/shop/products/*/*.json.gz") for row in _gz_rows(p)
    ]
    assert entry["reason"].startswith(reason)
    assert entry["origin"] == {
        "file": "products.csv",
        "line": 3,
        "landed_as": landed.relative_to(tmp_path / "lake").as_posix(),
    }
    assert entry["payload"].rstrip("\n") == bad_row
    again = land(export, open_lake(tmp_path / "lake"), now=NOW)
    assert again[0].status == "already landed"


def test_a_clean_export_lands_byte_for_byte(sample_dir: Path, tmp_path: Path) -> None:
    [result] = land(sample_dir / "customers.csv", open_lake(tmp_path), now=NOW)
    assert result.target is not None and result.quarantined == 0
    assert Path(result.target).read_bytes() == (sample_dir / "customers.csv").read_bytes()


def test_a_non_utf8_byte_refuses_the_folder_naming_file_line_and_byte(
    sample_dir: Path, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(sample_dir / "customers.csv", inbox / "customers.csv")
    lines = (sample_dir / "products.csv").read_bytes().splitlines(keepends=True)
    lines[8] = lines[8].replace(b",", b",Caf\xe9 ", 1)  # a latin-1 byte on line 9
    (inbox / "products.csv").write_bytes(b"".join(lines))
    offset = len(b"".join(lines[:8])) + lines[8].index(b"\xe9")
    with pytest.raises(ContractError, match=rf"products\.csv: line 9, byte {offset}: not utf-8") as error:
        land(inbox, open_lake(tmp_path / "lake"))
    assert "--encoding" in str(error.value)
    assert not (tmp_path / "lake").exists(), "the valid export beside it did not land either"


def test_encoding_transcodes_an_export_known_not_to_be_utf8(tmp_path: Path) -> None:
    export = tmp_path / "products.csv"
    export.write_bytes(_products(GOOD_PRODUCT.replace("Mug", "Caf\u00e9 mug")).encode("cp1252"))
    [result] = land(export, open_lake(tmp_path / "lake"), encoding="cp1252")
    assert result.target is not None
    assert "Caf\u00e9 mug" in Path(result.target).read_text("utf-8")
    with pytest.raises(ContractError, match="not an encoding"):
        land(export, open_lake(tmp_path / "lake2"), encoding="klingon")


def test_land_takes_several_paths_and_lands_nothing_if_one_is_bad(sample_dir: Path, tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    (tmp_path / "customers_bad.csv").write_text("customer_id,name\nC1,x\n")
    with pytest.raises(ContractError, match=r"customers_bad\.csv: missing column"):
        land([sample_dir / "products.csv", tmp_path / "customers_bad.csv"], open_lake(lake_dir))
    assert not lake_dir.exists()
    results = land([sample_dir / "products.csv", sample_dir / "customers.csv"], open_lake(lake_dir))
    assert [r.entity for r in results] == ["products", "customers"]


def test_worker_processes_land_an_events_file_exactly_as_one_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of many batches is planned by worker processes and written in order: the lake
    holds the same objects, byte for byte, as landing it in one process, quarantine included."""
    monkeypatch.setattr(batch_upload, "EVENT_BATCH_LINES", 7)
    lines = []
    for n in range(100):
        occurred_at = f"2026-01-01T{10 + n % 5:02d}:00:{n % 60:02d}Z"
        lines.append(event_bytes(event_id=f"e{n}", occurred_at=occurred_at))
        if n % 17 == 0:
            lines.append(b'{"event_id": "broken"')  # quarantined, in whichever batch it falls
        if n % 31 == 0:
            lines.append(b"  \r")  # blank: not a record, takes no sequence number
    lines.append(b"[" * (MAX_RECORD_BYTES + 10))  # cut at the limit, quarantined with its length
    export = tmp_path / "events.jsonl.gz"
    export.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))

    results = {
        workers: land_events(export, open_lake(tmp_path / f"workers-{workers}"), NOW, workers=workers)
        for workers in (1, 3)
    }
    assert results[1].rows == results[3].rows == 107 and results[1].quarantined == results[3].quarantined == 7

    def contents(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in _landed_files(root)}

    one, three = contents(tmp_path / "workers-1"), contents(tmp_path / "workers-3")
    assert one == three
    assert sum("quarantine/" in key and key.endswith(".json.gz") for key in one) >= 2


@pytest.mark.parametrize("damage", ["cut in half", "a corrupt block", "a wrong checksum"])
def test_a_damaged_events_file_is_refused_whole(sample_dir: Path, tmp_path: Path, damage: str) -> None:
    data = bytearray((sample_dir / "events.jsonl.gz").read_bytes())
    if damage == "cut in half":
        data = data[: len(data) // 2]
    elif damage == "a corrupt block":
        data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    else:  # the gzip trailer: CRC-32 of the data, then its length
        data[-8] ^= 0xFF
    (tmp_path / "events.jsonl.gz").write_bytes(bytes(data))
    with pytest.raises(ContractError, match=r"events\.jsonl\.gz: cannot be read to its end"):
        land(tmp_path / "events.jsonl.gz", open_lake(tmp_path / "lake"))
    assert not (tmp_path / "lake").exists()


def test_a_failed_write_undoes_the_shop_files_of_the_call(
    sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = storage.LocalLake.put_file

    def fail_on_transactions(
        self: storage.LocalLake, key: str, path: Path, sha256: str | None = None
    ) -> None:
        if "transactions" in key:
            raise OSError("disk full")
        real(self, key, path, sha256)

    monkeypatch.setattr(storage.LocalLake, "put_file", fail_on_transactions)
    with pytest.raises(OSError, match="disk full"):
        land([sample_dir / "customers.csv", sample_dir / "transactions.csv"], open_lake(tmp_path))
    assert not list(tmp_path.glob("raw/shop/*/*/*.csv"))


def test_cli_land_takes_several_paths(sample_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from c360.cli import app

    result = CliRunner().invoke(
        app,
        [
            "land",
            str(sample_dir / "products.csv"),
            str(sample_dir / "customers.csv"),
            "--lake",
            str(tmp_path),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert [row["entity"] for row in json.loads(result.stdout)] == ["products", "customers"]
