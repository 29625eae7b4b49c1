"""Warehouse build time at a scale: the whole dbt build and its slowest models.

Generates the sample at --scale (10 by default: 50,000 customers, 500,000 order lines,
1,000,000 events), lands it and runs `c360 build` on DuckDB, then reads dbt's
run_results.json. The ratio printed is the point-in-time fact (fct_order_lines) against
materialising the staging view it reads (stg_shop__transactions) alone, the floor any join
on top of it must pay: a ratio far above 1 means the join itself is the cost (a
nested-loop plan, for example).
Run: make bench   (or .venv/bin/python bench/bench_build.py --scale 10)
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from c360.settings import Settings
from c360.warehouse.build import build
from c360.warehouse.dbt import target_dir
from loaders.generator import generate
from loaders.lake.storage import open_lake
from loaders.landing.batch_upload import land


def _results() -> list[dict[str, Any]]:
    run_results = json.loads((target_dir() / "run_results.json").read_text("utf-8"))
    results: list[dict[str, Any]] = run_results["results"]
    return results


def _timings() -> dict[str, float]:
    return {r["unique_id"].split(".")[2]: float(r["execution_time"]) for r in _results()}


def _counts() -> Counter[str]:
    """Nodes dbt build ran, by kind (model, test, unit_test, seed, operation)."""
    return Counter(r["unique_id"].split(".")[0] for r in _results())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="c360-bench-") as scratch:
        root = Path(scratch)
        os.environ["DBT_TARGET_PATH"] = str(root / "target")
        settings = Settings.resolve(lake=root / "lake", warehouse=root / "c360.duckdb", target="local")
        generate(root / "in", scale=args.scale, seed=42)
        land(root / "in", open_lake(settings.lake))
        started = time.perf_counter()
        build(settings, say=lambda _message: None)
        build_seconds = time.perf_counter() - started
        models = _timings()
        counts = _counts()
        floor = _floor_seconds(settings)
    slowest = sorted(models.items(), key=lambda item: item[1], reverse=True)[:8]
    print(f"scale {args.scale:g}: dbt build {build_seconds:.1f} s (wall, c360 build)")
    print("  ran: " + ", ".join(f"{count} {kind}s" for kind, count in sorted(counts.items())))
    for name, seconds in slowest:
        print(f"  {name:<60} {seconds:7.2f} s")
    print(
        f"fct_order_lines {models['fct_order_lines']:.2f} s; reading its input alone {floor:.2f} s;"
        f" ratio {models['fct_order_lines'] / floor:.2f}"
    )


def _floor_seconds(settings: Settings) -> float:
    """Seconds to materialise the order lines fct_order_lines reads, without the joins."""
    import duckdb

    with duckdb.connect(str(settings.warehouse)) as connection:
        started = time.perf_counter()
        connection.execute(
            "create or replace temp table floor as select * from staging.stg_shop__transactions"
        )
        return time.perf_counter() - started


if __name__ == "__main__":
    main()
