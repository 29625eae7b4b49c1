"""The production path end to end against moto_server on 127.0.0.1.

producer (`c360 stream`) -> Kinesis -> `c360 consume` -> consumer handler -> S3, then DuckDB
reads s3:// through httpfs and the counts must match the generator's answer key exactly.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from c360.cli import app
from c360.settings import Settings
from c360.warehouse.dbt import run_dbt
from loaders.generator import generate
from loaders.lake.storage import open_lake
from tests.conftest import REGION, duckdb_s3

STREAM = "c360-events"
BUCKET = "c360-integration"


@pytest.fixture
def dirty_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dirty")
    generate(out, scale=0.005, seed=11, dirty=0.02)
    return out


def _invoke(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_producer_kinesis_consumer_s3_duckdb(
    moto_server: str, aws_env: None, dirty_sample: Path, tmp_path: Path
) -> None:
    key = json.loads((dirty_sample / "answer_key.json").read_text())
    injected = key["injected"]["events"]
    quarantine_expected = injected["malformed_json"] + injected["wrong_types"] + injected["missing_required"]
    lines = key["rows_written"]["events"]
    valid_expected = lines - quarantine_expected
    with gzip.open(dirty_sample / "events.jsonl.gz", "rt") as handle:
        unique_ids = {
            event["event_id"]
            for line in handle
            if (event := _maybe_json(line)) is not None and isinstance(event, dict) and "event_id" in event
        }

    s3 = boto3.client("s3", endpoint_url=moto_server, region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    kinesis = boto3.client("kinesis", endpoint_url=moto_server, region_name=REGION)
    kinesis.create_stream(StreamName=STREAM, ShardCount=2)
    lake_uri = f"s3://{BUCKET}/lake"
    common = ["--endpoint-url", moto_server]

    sent = _invoke(
        "stream", "--from", str(dirty_sample / "events.jsonl.gz"), "--to", f"kinesis://{STREAM}", *common
    )
    assert (sent["sent"], sent["failed"]) == (lines, 0)
    consumed = _invoke(
        "consume", "--from", f"kinesis://{STREAM}", "--lake", lake_uri, "--batch-size", "500", *common
    )
    assert consumed["received"] == lines
    assert (consumed["written"], consumed["quarantined"]) == (valid_expected, quarantine_expected)

    db = duckdb_s3(moto_server)
    raw = f"read_json('{lake_uri}/raw/web/events/*/*/*.json.gz', format = 'newline_delimited')"
    rows, distinct = db.execute(f"select count(*), count(distinct event_id) from {raw}").fetchone()
    assert rows == valid_expected
    assert distinct == valid_expected - injected["duplicates"]
    quarantine = f"read_json('{lake_uri}/quarantine/web/events/*/*.json.gz', format = 'newline_delimited')"
    [(quarantined,)] = db.execute(f"select count(*) from {quarantine}").fetchall()
    assert quarantined == quarantine_expected

    # The checkpoint holds: consuming again reads nothing new.
    again = _invoke("consume", "--from", f"kinesis://{STREAM}", "--lake", lake_uri, *common)
    assert again["received"] == 0

    # A producer re-send (the first 100 lines again) lands again in raw, with new sequence numbers ...
    resend = tmp_path / "resend.jsonl"
    with gzip.open(dirty_sample / "events.jsonl.gz", "rb") as handle:
        resend.write_bytes(b"".join(line for _n, line in zip(range(100), handle, strict=False)))
    resent_valid = sum(1 for line in resend.read_text().splitlines() if _is_valid(line))
    _invoke("stream", "--from", str(resend), "--to", f"kinesis://{STREAM}", *common)
    _invoke("consume", "--from", f"kinesis://{STREAM}", "--lake", lake_uri, *common)
    [(rows_after_resend,)] = db.execute(f"select count(*) from {raw}").fetchall()
    assert rows_after_resend == valid_expected + resent_valid

    # ... and adds no rows downstream: staging dedups on event_id.
    mirror = tmp_path / "mirror"
    s3_lake = open_lake(lake_uri, endpoint_url=moto_server)
    local = open_lake(mirror)
    for object_key in s3_lake.list_keys("raw/web/events/"):
        local.put_bytes(object_key, s3_lake.get_bytes(object_key))
    settings = Settings.resolve(lake=mirror, warehouse=tmp_path / "c360.duckdb", target="local")
    assert run_dbt(settings, ["run", "--select", "+stg_web__events"]).ok
    import duckdb

    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        [(staged,)] = connection.execute("select count(*) from staging.stg_web__events").fetchall()
    assert staged == len(unique_ids & _valid_ids(dirty_sample)) == distinct


def test_land_and_compact_on_s3_read_back_with_duckdb(
    moto_server: str, aws_env: None, sample_dir: Path
) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name=REGION)
    s3.create_bucket(Bucket="c360-land")
    lake_uri = "s3://c360-land/lake"
    common = ["--lake", lake_uri, "--endpoint-url", moto_server]
    for name in ("transactions.csv", "events.jsonl.gz"):
        [landed] = _invoke("land", str(sample_dir / name), *common)
        assert landed["status"] == "landed"
    db = duckdb_s3(moto_server)
    [(transactions,)] = db.execute(
        f"select count(*) from read_csv('{lake_uri}/raw/shop/transactions/*/*.csv', header = true)"
    ).fetchall()
    with (sample_dir / "transactions.csv").open() as handle:
        assert transactions == sum(1 for _ in handle) - 1
    day = open_lake(lake_uri, endpoint_url=moto_server).list_keys("raw/web/events/")[-1].split("/")[3][3:]
    compacted = _invoke("compact", "--date", day, *common)
    [(parquet_rows,)] = db.execute(
        f"select count(*) from read_parquet('{lake_uri}/compacted/web/events/dt={day}/*/*.parquet')"
    ).fetchall()
    [(raw_rows,)] = db.execute(
        f"select count(*) from read_json('{lake_uri}/raw/web/events/dt={day}/*/*.json.gz')"
    ).fetchall()
    assert parquet_rows == raw_rows == sum(hour["rows"] for hour in compacted) > 0


def _maybe_json(line: str) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None


def _is_valid(line: str) -> bool:
    from loaders.contracts import violation

    event = _maybe_json(line)
    return isinstance(event, dict) and violation("events", event) is None


def _valid_ids(sample: Path) -> set[str]:
    """Event ids of the lines that pass the contract (what the consumer lands)."""
    from loaders.contracts import violation

    with gzip.open(sample / "events.jsonl.gz", "rt") as handle:
        return {
            event["event_id"]
            for line in handle
            if isinstance(event := _maybe_json(line), dict) and violation("events", event) is None
        }
