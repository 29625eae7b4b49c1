"""Source freshness from the landing receipts: no raw file is read, no dbt process started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from c360.settings import Settings
from c360.warehouse.sources import check_freshness
from loaders.contracts import contract
from loaders.lake.storage import open_lake
from loaders.landing.batch_upload import land

LANDED = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_a_source_is_fresh_for_a_day_after_its_last_landing_and_missing_ones_warn(tmp_path: Path) -> None:
    settings = Settings.resolve(lake=tmp_path / "lake", warehouse=tmp_path / "c360.duckdb", target="local")
    lake = open_lake(settings.lake)
    header = ",".join(contract("products").columns)
    (tmp_path / "products.csv").write_text(
        f"{header}\nP1,Mug,Home,Kitchen,Acme,9.99,3.10,true,2026-01-01T00:00:00Z\n"
    )
    land(tmp_path / "products.csv", lake, LANDED)
    said: list[str] = []
    assert check_freshness(lake, said.append, now=LANDED + timedelta(hours=23)) == {
        "pass": 1,
        "warn": 3,
    }
    assert sum("has no files in the lake yet" in line for line in said) == 3
    said.clear()
    assert check_freshness(lake, said.append, now=LANDED + timedelta(days=2)) == {"warn": 4}
    assert [line for line in said if "shop.products" in line] == [
        "warning: source shop.products last landed a file at 2026-03-01T12:00:00+00:00, more than 1 day ago"
    ]
    # A raw file no reader could open is not read here: the build names it, not freshness.
    (Path(settings.lake) / "raw/web/events/dt=2026-03-01/hr=10").mkdir(parents=True)
    (Path(settings.lake) / "raw/web/events/dt=2026-03-01/hr=10/x.json.gz").write_bytes(b"not gzip")
    assert check_freshness(lake, said.append, now=LANDED + timedelta(hours=1))["pass"] == 2
