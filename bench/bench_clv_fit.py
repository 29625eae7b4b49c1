"""The CLV fit's cost on a built warehouse: reading its inputs, fitting both models,
predicting every customer and writing the two tables, each timed.

The ratio printed is the whole fit step (without dbt) against reading the inputs alone:
the fit's own price on top of the data it must read anyway.
Run: .venv/bin/python bench/bench_clv_fit.py --warehouse warehouse/c360.duckdb
(after `c360 run`; at scale 10: `c360 generate --scale 10 --out /tmp/s10` then
`c360 run --input /tmp/s10 --lake /tmp/l10 --warehouse /tmp/w10/c360.duckdb`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from c360.settings import Settings
from c360.warehouse import clv_fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=Path("warehouse/c360.duckdb"))
    parser.add_argument("--repeat", type=int, default=3, help="Runs; the fastest is reported.")
    given = parser.parse_args()
    settings = Settings.resolve(warehouse=given.warehouse, target="local")
    best: dict[str, float] = {}
    for _run in range(given.repeat):
        started = time.perf_counter()
        inputs = clv_fit.read_inputs(settings)
        read = time.perf_counter()
        predictions = clv_fit.predict(inputs, clv_fit.FitSettings())
        predicted = time.perf_counter()
        _predictions, _seconds = clv_fit.fit_warehouse(settings, {})
        whole = time.perf_counter()
        for name, seconds in {
            "read inputs": read - started,
            "fit and predict": predicted - read,
            "fit step (read, fit, predict, write)": whole - predicted,
        }.items():
            best[name] = min(best.get(name, seconds), seconds)
    print(f"customers: {len(inputs.customer_ids):,}  repeat customers: {predictions.gamma_gamma.customers:,}")
    print(f"bg_nbd: {clv_fit.describe(predictions)['bg_nbd']}")
    for name, seconds in best.items():
        print(f"{name:<40} {seconds:8.2f} s")
    ratio = best["fit step (read, fit, predict, write)"] / best["read inputs"]
    print(f"fit step / read inputs: {ratio:.1f}x")


if __name__ == "__main__":
    main()
