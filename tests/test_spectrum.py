"""Spectrum DDL: derived from the contracts and the lake, golden-filed, parsed as Redshift SQL."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from redshift_rules import parse_errors as redshift_parse_errors
from typer.testing import CliRunner

from c360.cli import app
from loaders.contracts import ENTITIES, contract
from loaders.lake.storage import open_lake
from loaders.warehouse import spectrum

GOLDEN = Path(__file__).parent / "golden" / "spectrum.sql"


@pytest.fixture
def s3_lake(s3_bucket: str) -> Any:
    lake = open_lake(f"s3://{s3_bucket}/lake")
    for key in (
        "raw/shop/customers/ingest_date=2025-12-01/customers_20251201T000000Z_aaaaaaaaaaaaaaaa.csv",
        "raw/shop/customers/ingest_date=2025-12-02/customers_20251202T000000Z_bbbbbbbbbbbbbbbb.csv",
        "raw/shop/products/ingest_date=2025-12-01/products_20251201T000000Z_cccccccccccccccc.csv",
        "raw/shop/transactions/ingest_date=2025-12-01/transactions_20251201T000000Z_dddddddddddddddd.csv",
        "raw/web/events/dt=2025-12-01/hr=10/shardId-000000000000-1-9.json.gz",
        "raw/web/events/dt=2025-12-01/hr=10/shardId-000000000000-10-19.json.gz",
        "raw/web/events/dt=2025-12-01/hr=11/shardId-000000000000-20-29.json.gz",
        "compacted/web/events/dt=2025-12-01/hr=10/part-abc-00000.parquet",
        "compacted/web/events/dt=2025-12-01/hr=10/_manifest.json",
        # hour 11: a part without its manifest (compaction still running): not registered
        "compacted/web/events/dt=2025-12-01/hr=11/part-def-00000.parquet",
    ):
        lake.put_bytes(key, json.dumps({"parts": []}).encode() if key.endswith("_manifest.json") else b"x")
    return lake


def test_the_ddl_matches_the_golden_file(s3_lake: Any) -> None:
    sql = "\n\n".join(spectrum.statements(s3_lake)) + "\n"
    if os.environ.get("C360_UPDATE_GOLDEN"):
        GOLDEN.write_text(sql)
    assert sql == GOLDEN.read_text(), "regenerate with C360_UPDATE_GOLDEN=1 if the change is intended"


def test_the_ddl_parses_as_redshift_sql() -> None:
    assert redshift_parse_errors(GOLDEN.read_text()) == []


def test_the_parser_check_catches_broken_sql() -> None:
    assert redshift_parse_errors("create external table raw_web.events (event_id varchar(10)) stored as;")


def test_partitions_present_are_registered_and_uncommitted_compactions_are_not(s3_lake: Any) -> None:
    ddl = "\n".join(spectrum.statements(s3_lake))
    assert (
        "partition (ingest_date = '2025-12-02') location 's3://c360-lake/lake/raw/shop/customers/ingest_date=2025-12-02/'"
        in ddl
    )
    assert ddl.count("partition (dt = '2025-12-01', hr = '10')") == 2  # raw and compacted
    assert ddl.count("partition (dt = '2025-12-01', hr = '11')") == 1  # raw only


def test_columns_and_types_derive_from_the_contracts() -> None:
    tables = {(t.schema, t.name): t for t in spectrum.external_tables()}
    for entity in ENTITIES:
        table = tables[(f"raw_{contract(entity).source}", entity)]
        assert [c for c, _t in table.columns][: len(contract(entity).columns)] == contract(entity).columns
        assert {t for _c, t in table.columns} == {spectrum.TEXT}, "text files are read as text; staging casts"
    compacted = dict(tables[("raw_web", "events_compacted")].columns)
    assert compacted["occurred_at"] == "timestamp" and compacted["event_id"] == spectrum.TEXT


def test_spectrum_needs_an_s3_lake(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["spectrum", "--lake", str(tmp_path)])
    assert result.exit_code == 1 and "Spectrum reads S3" in result.stderr


def test_apply_without_a_redshift_connection_is_a_one_line_error(
    s3_lake: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("C360_REDSHIFT_HOST", raising=False)
    result = CliRunner().invoke(app, ["spectrum", "--lake", s3_lake.uri, "--apply"])
    assert result.exit_code == 1 and "Redshift needs C360_REDSHIFT_HOST" in result.stderr


@pytest.fixture
def fake_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A connection to the fake Redshift of tests/fake_redshift (statements recorded)."""
    monkeypatch.setenv("C360_FAKE_REDSHIFT", str(tmp_path / "fake"))
    (tmp_path / "fake").mkdir()
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "fake_redshift"))
    import fake_redshift

    return fake_redshift.connect()


def _sent(fake: Any) -> list[str]:
    log = Path(os.environ["C360_FAKE_REDSHIFT"]) / "statements.jsonl"
    return [" ".join(json.loads(line)["sql"].split()) for line in log.read_text().splitlines()]


def test_each_run_registers_only_what_is_new_and_drops_nothing(s3_lake: Any, fake_cluster: Any) -> None:
    first = spectrum.register(s3_lake, fake_cluster)
    assert first.schemas_created == ["raw_shop", "raw_web"] and len(first.tables_created) == 5
    assert first.partitions_added == {
        "raw_shop.customers": 2,
        "raw_shop.products": 1,
        "raw_shop.transactions": 1,
        "raw_web.events": 2,
        "raw_web.events_compacted": 1,  # hour 11 has no manifest yet
    }
    again = spectrum.register(s3_lake, fake_cluster)
    assert again.schemas_created == again.tables_created == [] and sum(again.partitions_added.values()) == 0
    s3_lake.put_bytes("raw/web/events/dt=2025-12-02/hr=00/shardId-000000000000-30-39.json.gz", b"x")
    committed = json.dumps({"parts": []}).encode()
    s3_lake.put_bytes("compacted/web/events/dt=2025-12-01/hr=11/_manifest.json", committed)
    later = spectrum.register(s3_lake, fake_cluster)
    assert later.partitions_added["raw_web.events"] == 1
    assert later.partitions_added["raw_web.events_compacted"] == 1
    sent = _sent(fake_cluster)
    assert not [statement for statement in sent if statement.startswith("drop")]
    assert all(
        "add if not exists" in statement for statement in sent if statement.startswith("alter table raw_")
    )


def test_the_committed_parts_are_listed_for_staging_to_join_on_path(s3_lake: Any, fake_cluster: Any) -> None:
    part = "compacted/web/events/dt=2025-12-01/hr=10/part-abc-00000.parquet"
    manifest = {"parts": [part]}
    s3_lake.put_bytes(
        "compacted/web/events/dt=2025-12-01/hr=10/_manifest.json", json.dumps(manifest).encode()
    )
    done = spectrum.register(s3_lake, fake_cluster, schema_prefix="alice_")
    assert done.compacted_parts == 1 and done.schemas_created == ["alice_raw_shop", "alice_raw_web"]
    sent = _sent(fake_cluster)
    at = sent.index("begin;")
    assert sent[at + 1] == "delete from alice_c360_loader.compacted_parts;"
    assert sent[at + 2].endswith(f"('2025-12-01', '10', 's3://c360-lake/lake/{part}');")
    assert sent[at + 3] == "commit;"


def test_a_table_whose_columns_changed_is_recreated_only_when_asked(
    s3_lake: Any, fake_cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    spectrum.register(s3_lake, fake_cluster)
    changed = [
        replace(table, columns=[*table.columns, ("loyalty_tier", spectrum.TEXT)])
        if table.name == "customers"
        else table
        for table in spectrum.external_tables()
    ]
    monkeypatch.setattr(spectrum, "external_tables", lambda _prefix="": changed)
    with pytest.raises(
        spectrum.SpectrumError, match=r"raw_shop\.customers on the cluster has columns .* --recreate"
    ):
        spectrum.register(s3_lake, fake_cluster)
    done = spectrum.register(s3_lake, fake_cluster, recreate=True)
    assert done.tables_recreated == ["raw_shop.customers"]
    assert done.partitions_added["raw_shop.customers"] == 2
