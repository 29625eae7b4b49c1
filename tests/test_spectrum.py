"""Spectrum DDL: derived from the contracts and the lake, golden-filed, parsed as Redshift SQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import redshift_parse_errors
from typer.testing import CliRunner

from c360.cli import app
from loaders import spectrum
from loaders.contracts import ENTITIES, contract
from loaders.lake import open_lake

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
        lake.put_bytes(key, b"x")
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
    assert result.exit_code == 1 and "--apply needs C360_REDSHIFT_HOST" in result.stderr
