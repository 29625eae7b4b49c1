"""c360 unland: a landed file that breaks builds is taken back into quarantine, nothing lost."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c360.cli import app
from c360.settings import Settings
from c360.warehouse.dbt import run_dbt
from loaders.compaction.hours import compact
from loaders.contracts import contract
from loaders.lake.layout import events_key
from loaders.lake.storage import open_lake
from loaders.landing.batch_upload import ContractError, land, unland
from tests.conftest import lake_rows

RAGGED = "raw/shop/products/ingest_date=2025-01-01/products_20250101T000000Z_0123456789abcdef.csv"


@pytest.mark.dbt
def test_a_file_an_older_c360_let_through_is_taken_back_and_the_build_recovers(tmp_path: Path) -> None:
    settings = Settings.resolve(lake=tmp_path / "lake", warehouse=tmp_path / "c360.duckdb", target="local")
    lake = open_lake(settings.lake)
    header = ",".join(contract("products").columns)
    good = "P1,Mug,Home,Kitchen,Acme,9.99,3.10,true,2026-01-01T00:00:00Z"
    (tmp_path / "products.csv").write_text(f"{header}\n{good}\n")
    land(tmp_path / "products.csv", lake)
    ragged = f"{header}\nP2,Cup,Home,Kitchen\n".encode()
    lake.put_bytes(RAGGED, ragged)  # landed before c360 read every row
    assert not run_dbt(settings, ["run", "--select", "+stg_shop__products"]).ok

    result = CliRunner().invoke(
        app, ["unland", RAGGED, "--reason", "ragged row on line 2", "--lake", str(settings.lake)]
    )
    assert result.exit_code == 0, result.output
    [moved, note] = lake.list_keys("quarantine/shop/products/unlanded/")
    assert lake.get_bytes(moved) == ragged, "the file is kept, byte for byte"
    assert json.loads(lake.get_bytes(note)) | {"unlanded_at": None} == {
        "reason": "ragged row on line 2",
        "origin": {"key": RAGGED},
        "unlanded_at": None,
    }
    assert result.stdout.strip().startswith(f"{RAGGED} -> {moved}"), "the CLI says where the file went"
    assert not lake.exists(RAGGED)
    assert run_dbt(settings, ["run", "--select", "+stg_shop__products"]).ok


def test_an_events_file_leaves_its_compacted_hour_too(sample_dir: Path, tmp_path: Path) -> None:
    lake = open_lake(tmp_path)
    land(sample_dir / "events.jsonl.gz", lake)
    first = lake.list_keys("raw/web/events/")[0]
    dt, hr = first.split("/")[3][3:], first.split("/")[4][3:]
    template = lake_rows(lake, first)[0]
    extra = [{**template, "event_id": f"extra-{n}"} for n in range(2)]  # a second file in the hour
    lake.put_bytes(
        events_key(dt, hr, "extra", "1", "2"),
        gzip.compress(b"".join(json.dumps(e).encode() + b"\n" for e in extra)),
    )
    compact(lake, dt, hr)
    hour = f"raw/web/events/dt={dt}/hr={hr}/"
    files = lake.list_keys(hour)
    gone = {row["event_id"] for row in lake_rows(lake, files[0])}
    result = unland(lake, files[0], "sent by mistake")
    assert result.recompacted == [f"dt={dt}/hr={hr}"]
    manifest = json.loads(lake.get_bytes(f"compacted/web/events/dt={dt}/hr={hr}/_manifest.json"))
    assert manifest["inputs"] == files[1:]
    assert manifest["rows"] == sum(len(lake_rows(lake, key)) for key in files[1:])
    for key in files[1:]:
        unland(lake, key, "sent by mistake")
    assert not lake.list_keys(f"compacted/web/events/dt={dt}/hr={hr}/"), "an empty hour has no compaction"
    kept = {row["event_id"] for row in lake_rows(lake, "quarantine/web/events/unlanded/")}
    assert gone <= kept


def test_unland_refuses_what_is_not_a_landed_file_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="not a landed file"):
        unland(open_lake(tmp_path), "quarantine/web/events/x.json.gz", "why")
    result = CliRunner().invoke(
        app, ["unland", "raw/shop/none.csv", "--reason", "x", "--lake", str(tmp_path)]
    )
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
