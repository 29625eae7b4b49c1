"""First render of every app page at seed scale, after cache warm-up.

Builds the sample (scale 1 by default, the demo's size) with `c360 run`, then renders each
page with Streamlit's AppTest: once to warm Streamlit's caches up (imports, the query
cache, Altair), then once more from a fresh session, timed. The goal is under 1 s a page;
the ratio printed is the slowest page against that goal.
Run: make bench   (or .venv/bin/python bench/bench_app.py --scale 1)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app.main import PAGE_LIST
from c360.pipeline import runner
from c360.settings import PROJECT_ROOT, Settings
from loaders.generator import generate

GOAL_SECONDS = 1.0
ENTRY = str(PROJECT_ROOT / "streamlit_app.py")


def render(name: str) -> tuple[float, AppTest]:
    started = time.perf_counter()
    app = AppTest.from_file(ENTRY, default_timeout=120).run()
    if name != PAGE_LIST[0][0]:
        app.switch_page(f"app/pages/{name}").run()
    seconds = time.perf_counter() - started
    if app.exception:
        raise RuntimeError(f"{name}: {app.exception[0].value}")
    return seconds, app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="c360-bench-app-") as scratch:
        root = Path(scratch)
        os.environ["DBT_TARGET_PATH"] = str(root / "target")
        generate(root / "sample", scale=args.scale, seed=42)
        settings = Settings.resolve(
            lake=root / "lake", warehouse=root / "c360.duckdb", published=root / "published.duckdb"
        )
        runner.run(settings, input_dir=root / "sample", say=lambda _m: None)
        os.environ.update({"C360_TARGET": "local", "C360_PUBLISHED": str(settings.published)})
        print(f"| page (scale {args.scale:g}) | first render, warm cache (s) | cold (s) |")
        print("|---|---|---|")
        slowest = 0.0
        for name, title, _icon in PAGE_LIST:
            cold, _app = render(name)
            warm, _app = render(name)
            slowest = max(slowest, warm)
            print(f"| {title} | {warm:.2f} | {cold:.2f} |")
        print(f"ratio slowest page / {GOAL_SECONDS:g} s goal: {slowest / GOAL_SECONDS:.2f}")


if __name__ == "__main__":
    main()
