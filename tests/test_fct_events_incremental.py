"""fct_events is incremental: building, adding a later batch and building again equals a full refresh."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from c360.settings import Settings
from c360.warehouse.dbt import run_dbt, target_dir
from loaders.lake.layout import events_key
from loaders.lake.storage import Lake, open_lake
from loaders.landing.batch_upload import land

pytestmark = pytest.mark.dbt

STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def _build(settings: Settings, *extra: str) -> list[tuple[Any, ...]]:
    assert run_dbt(settings, ["run", "--select", "+fct_events", *extra]).ok
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        return connection.execute("select * from core.fct_events order by event_id").fetchall()


def _ran_incrementally() -> bool:
    compiled = target_dir() / "run" / "c360" / "models" / "marts" / "core" / "fct_events.sql"
    return "delete from" in compiled.read_text("utf-8")


def _write_events(lake: Lake, name: str, events: list[dict[str, Any]]) -> None:
    """A raw object as the consumer writes it: gzip NDJSON in the hour of its first event."""
    occurred = datetime.strptime(events[0]["occurred_at"], "%Y-%m-%dT%H:%M:%SZ")
    key = events_key(occurred.strftime("%Y-%m-%d"), occurred.strftime("%H"), name, "1", str(len(events)))
    lake.put_bytes(key, gzip.compress(b"".join(json.dumps(e).encode() + b"\n" for e in events)))


def _event(
    template: dict[str, Any], event_id: str, occurred_at: datetime, landed_at: datetime
) -> dict[str, Any]:
    return {
        **template,
        "event_id": event_id,
        "occurred_at": occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "_kinesis_arrival_at": landed_at.strftime(STAMP),
        "_landed_at": landed_at.strftime(STAMP),
    }


def test_incremental_build_equals_full_refresh(sample_dir: Path, tmp_path: Path) -> None:
    settings = Settings.resolve(lake=tmp_path / "lake", warehouse=tmp_path / "c360.duckdb", target="local")
    lake = open_lake(settings.lake)
    land(sample_dir, lake)
    first = _build(settings)
    assert first

    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        newest_landed, newest_occurred = connection.execute(
            "select max(_landed_at), max(occurred_at) from core.fct_events"
        ).fetchone() or (None, None)
        (template_id,) = connection.execute("select min(event_id) from core.fct_events").fetchone() or ("",)
    template = next(
        json.loads(line)
        for key in lake.list_keys("raw/web/events/")
        for line in gzip.decompress(lake.get_bytes(key)).splitlines()
        if json.loads(line)["event_id"] == template_id
    )

    # The later batch: new events, a late event (occurred a week earlier, lands now), a
    # re-sent duplicate of a loaded event, and objects written before the newest one landed
    # (in flight during the previous build), one of them by a day.
    later = newest_landed + timedelta(hours=2)
    _write_events(
        lake,
        "later",
        [
            _event(template, "new-1", newest_occurred + timedelta(minutes=5), later),
            _event(template, "new-2", newest_occurred + timedelta(minutes=6), later),
            _event(template, "late-1", newest_occurred - timedelta(days=7), later),
            {**template, "_kinesis_arrival_at": later.strftime(STAMP), "_landed_at": later.strftime(STAMP)},
        ],
    )
    in_flight = newest_landed - timedelta(hours=1)
    _write_events(lake, "in-flight", [_event(template, "in-flight-1", newest_occurred, in_flight)])
    # A new file is read whatever its _landed_at: there is no watermark to fall behind.
    too_late = newest_landed - timedelta(days=1)
    _write_events(lake, "too-late", [_event(template, "too-late-1", newest_occurred, too_late)])

    incremental = _build(settings)
    assert _ran_incrementally()
    full_refresh = _build(settings, "--full-refresh")
    assert not _ran_incrementally()
    assert full_refresh == incremental
    ids = {row[0] for row in incremental}
    assert {"new-1", "new-2", "late-1", "in-flight-1", "too-late-1"} <= ids
    assert len(incremental) == len(first) + 5  # the duplicate is not a new row
