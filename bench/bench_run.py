"""`c360 run` twice: a first run on a fresh lake, then a run with nothing new.

Generates the sample at --scale (1 by default, the demo's size), runs the whole pipeline on
DuckDB, then runs it again unchanged. The ratio printed is the no-op run against the first:
the cheap checks (listing the lake, hashing the dbt project) are all a no-op run should cost.
Run: make bench   (or .venv/bin/python bench/bench_run.py --scale 10)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from c360.pipeline import runner
from c360.settings import Settings
from loaders.generator import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="c360-bench-") as scratch:
        root = Path(scratch)
        os.environ["DBT_TARGET_PATH"] = str(root / "target")
        settings = Settings.resolve(
            lake=root / "lake", warehouse=root / "c360.duckdb", published=root / "published.duckdb"
        )
        generate(root / "in", scale=args.scale, seed=42)
        timings = {}
        for name, inbox in (("first run", root / "in"), ("nothing new", None)):
            started = time.perf_counter()
            report = runner.run(settings, input_dir=inbox, say=lambda _message: None)
            timings[name] = time.perf_counter() - started
            steps = ", ".join(f"{step} {seconds:.1f}" for step, seconds in report.step_seconds.items())
            status = report.document["status"]
            print(f"scale {args.scale:g} {name}: {timings[name]:.1f} s ({status}; {steps})")
    print(f"ratio nothing new / first run: {timings['nothing new'] / timings['first run']:.3f}")


if __name__ == "__main__":
    main()
