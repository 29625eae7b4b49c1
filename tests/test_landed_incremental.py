"""Raw data is parsed once: the landed models read only the lake files they have not read,
drop the rows of files taken back, and always equal a full refresh."""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from c360.settings import Settings
from c360.warehouse.dbt import run_dbt, target_dir
from loaders.compaction.hours import compact_closed_hours
from loaders.lake.layout import events_key
from loaders.lake.storage import open_lake
from loaders.landing.batch_upload import land, unland

pytestmark = pytest.mark.dbt

STAGING = (
    "+fct_events +int_events_sessionized +stg_shop__customers +stg_shop__products +stg_shop__transactions"
)
LANDED = (
    "landed_web__events",
    "landed_shop__customers",
    "landed_shop__products",
    "landed_shop__transactions",
)
TABLES = (
    *LANDED,
    "base_web__events",
    "base_shop__customers",
    "base_shop__transactions",
    "stg_web__events",
    "core.fct_events",
    "intermediate.int_events_sessionized",
)


def _build(settings: Settings, *extra: str) -> dict[str, list[tuple[Any, ...]]]:
    result = run_dbt(settings, ["run", "--select", *STAGING.split(), *extra])
    assert result.ok, result.describe_failure()
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        return {
            table: connection.execute(
                f"select * from {table if '.' in table else 'staging.' + table} order by all"
            ).fetchall()
            for table in TABLES
        }


def _compiled(model: str) -> str:
    folder = "web" if "web" in model else "shop"
    return (target_dir() / "compiled/c360/models/staging" / folder / "landed" / f"{model}.sql").read_text(
        "utf-8"
    )


def _files_read(model: str) -> list[str] | None:
    """The files the model's last build read: None for all of them (a full build)."""
    found = re.search(r"where (1 = 1|1 = 0|filename in \(([^)]*)\))", _compiled(model))
    assert found, model
    if found.group(1) == "1 = 1":
        return None
    listed = found.group(2) or ""
    return re.findall(r"'([^']*)'", listed)


def test_an_incremental_build_reads_only_new_files_and_equals_a_full_refresh(
    sample_dir: Path, tmp_path: Path
) -> None:
    settings = Settings.resolve(lake=tmp_path / "lake", warehouse=tmp_path / "c360.duckdb", target="local")
    lake = open_lake(settings.lake)
    land(sample_dir, lake)
    first = _build(settings)
    first_sessions = first["intermediate.int_events_sessionized"]
    event_files = sorted(key for key in lake.list_keys("raw/web/events/") if key.endswith(".json.gz"))
    shop_files = sorted(lake.list_keys("raw/shop/transactions/"))

    # Since that build: one new hour of events, an export of order lines, an events file and
    # an export taken back, and every hour compacted (a full refresh then reads Parquet).
    template = json.loads(gzip.decompress(lake.get_bytes(event_files[0])).splitlines()[0])
    new_events = [
        {
            **template,
            "event_id": f"new-{n}",
            "anonymous_id": "new-visitor" if n else template["anonymous_id"],
            "occurred_at": f"2026-01-01T00:0{n}:00Z",
            "_kinesis_arrival_at": f"2026-01-01T00:0{n}:01.000000Z",
        }
        for n in range(3)
    ]
    # And a copy of an event already read that reached Kinesis a second earlier: it is now
    # the first arrival, so the event's row changes (stg_web__events ranks it again).
    original = json.loads(gzip.decompress(lake.get_bytes(event_files[2])).splitlines()[0])
    arrived = datetime.strptime(original["_kinesis_arrival_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    earlier = {
        **original,
        "page_url": "https://example.com/first-arrival",
        "_kinesis_arrival_at": (arrived - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    new_key = events_key("2026-01-01", "00", "shardId-000000000009", "1", "4")
    lake.put_bytes(
        new_key, gzip.compress(b"".join(json.dumps(e).encode() + b"\n" for e in [*new_events, earlier]))
    )
    export = tmp_path / "transactions.csv"
    lines = lake.get_bytes(shop_files[0]).decode().splitlines()
    export.write_text("\n".join([lines[0], lines[1].replace(lines[1].split(",")[0], "T-NEW", 1)]) + "\n")
    land(export, lake)
    gone_events = event_files[1]
    unland(lake, gone_events, reason="test: taken back")
    unland(lake, shop_files[0], reason="test: taken back")
    compact_closed_hours(lake, min_files=1)

    incremental = _build(settings)
    # Only the new files were read: named in the filter, and nothing else.
    assert _files_read("landed_web__events") == [lake.url(new_key)]
    assert [Path(name).name for name in _files_read("landed_shop__transactions") or []] == [
        Path(key).name for key in lake.list_keys("raw/shop/transactions/") if key not in shop_files
    ]
    assert _files_read("landed_shop__products") == []  # nothing new: no file is opened

    # The downstream models ranked and sessionized again only what changed.
    for compiled, incremental_filter in (
        ("staging/web/stg_web__events", "_source_file not in"),  # c360_touched_keys
        ("marts/core/fct_events", "_source_file not in"),
        ("intermediate/web/int_events_sessionized", "full outer join"),  # c360_changed_groups
    ):
        sql = (target_dir() / "compiled/c360/models" / f"{compiled}.sql").read_text("utf-8")
        assert incremental_filter in sql, compiled
    full_refresh = _build(settings, "--full-refresh")
    # Every hour is compacted: the full refresh reads the Parquet and opens no raw file.
    assert _files_read("landed_web__events") == []
    for table in TABLES:
        assert incremental[table] == full_refresh[table], table

    def keys(rows: list[tuple[Any, ...]]) -> set[str]:
        return {row[-1] for row in rows}

    landed_events = incremental["landed_web__events"]
    assert gone_events in keys(first["landed_web__events"]) and gone_events not in keys(landed_events)
    assert new_key in keys(landed_events)
    assert shop_files[0] not in keys(incremental["landed_shop__transactions"])
    # The earlier copy won; the events of the file taken back left staging and the fact.
    staged = {row[0]: row for row in incremental["stg_web__events"]}
    assert "https://example.com/first-arrival" in staged[original["event_id"]]
    facts = {row[0]: row for row in incremental["core.fct_events"]}
    assert "https://example.com/first-arrival" in facts[original["event_id"]]
    assert {"new-0", "new-1", "new-2"} <= set(facts)
    # The sessions of a new visitor, and one more for the template's visitor.
    sessions = incremental["intermediate.int_events_sessionized"]
    assert [row[1] for row in sessions].count("new-visitor") == 1
    before = [row[1] for row in first_sessions].count(template["anonymous_id"])
    assert [row[1] for row in sessions].count(template["anonymous_id"]) == before + 1
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        for table in ("staging.stg_web__events", "core.fct_events"):
            files = {
                row[0] for row in connection.execute(f"select distinct _source_file from {table}").fetchall()
            }
            assert new_key in files and gone_events not in files, table
    assert {row[0] for row in incremental["landed_shop__transactions"]} >= {"T-NEW"}
