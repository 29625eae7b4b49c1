"""Staging reads committed compacted hours instead of their raw files: same events, never twice."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from c360.settings import Settings
from c360.warehouse.dbt import run_dbt, target_dir
from loaders.compaction.hours import compact, raw_hours
from loaders.lake.storage import open_lake
from loaders.landing.batch_upload import land

pytestmark = pytest.mark.dbt

QUERY = "select * exclude (arrival_rank) from staging.stg_web__events order by event_id"


def _staged(settings: Settings, *flags: str) -> list[tuple[object, ...]]:
    assert run_dbt(settings, ["run", "--select", "+stg_web__events", *flags]).ok
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        return connection.execute(QUERY).fetchall()


def test_compaction_changes_nothing_downstream(sample_dir: Path, tmp_path: Path) -> None:
    settings = Settings.resolve(lake=tmp_path / "lake", warehouse=tmp_path / "c360.duckdb", target="local")
    lake = open_lake(settings.lake)
    land(sample_dir / "events.jsonl.gz", lake)
    before = _staged(settings)

    days = sorted({key.split("/")[3].removeprefix("dt=") for key in lake.list_keys("raw/web/events/")})
    for day in days[:3]:  # the other days stay raw: a mix of compacted and raw hours
        compact(lake, day)
    # Proof the compacted copy is what is read: drop the raw files of one compacted hour ...
    first_hour = raw_hours(lake, days[0])[0]
    lake.delete(lake.list_keys(f"raw/web/events/dt={days[0]}/hr={first_hour}/"))
    # ... and a part no manifest lists (a compaction still running) must not be read.
    committed = next(k for k in lake.list_keys("compacted/") if k.endswith(".parquet"))
    shutil.copy(lake.url(committed), lake.url(committed).replace("part-", "part-uncommitted-"))

    after = _staged(settings)
    assert len(after) == len(before) > 0
    assert after == before

    # A full refresh reads every committed part and, of the raw files, only those of hours
    # no manifest covers: a compacted hour's events are parsed once, from the Parquet.
    assert _staged(settings, "--full-refresh") == before
    compiled = (target_dir() / "run/c360/models/staging/web/landed/landed_web__events.sql").read_text("utf-8")
    read_raw = set(re.findall(r"'[^']*(raw/web/events/dt=([0-9-]+)/[^']*)'", compiled))
    assert read_raw and {day for _key, day in read_raw} == set(days[3:])
