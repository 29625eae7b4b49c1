"""The pipeline at a scale: the read floor, each step's seconds, peak memory, one new hour.

    .venv/bin/python bench/bench_scale.py --scale 10 [--work DIR]

1. `c360 generate --scale N` (its own process: its peak RSS is the generator's).
2. `c360 run --input` on a fresh lake: every step's seconds and the run's peak RSS.
3. The read floor: one DuckDB process reading every raw file of the lake once into tables
   (what any build must pay at least to parse the lake). The ratio printed is the build
   step against it.
4. One new hour of clickstream (1,000 events after the sample's last day) landed with
   `c360 run --input`: its seconds against the first run's.
5. `c360 run` with nothing new: its seconds.

Every phase runs as its own process, so each peak RSS is that phase's alone (os.wait4).
With --work, the generated sample is kept there and reused by the next call.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

from loaders.contracts import LINEAGE_STRINGS, LINEAGE_TIMESTAMPS, contract

REPO = Path(__file__).resolve().parents[1]
C360 = [sys.executable, "-m", "c360.cli"]
NEW_HOUR_EVENTS = 1_000

FLOOR_SCRIPT = """
import sys, duckdb
lake = sys.argv[1]
con = duckdb.connect(sys.argv[2])
con.execute("create table events as select * from read_json(?, format='newline_delimited', "
            "compression='gzip', filename=true, hive_partitioning=true, columns={" + sys.argv[3] + "})",
            [lake + "/raw/web/events/*/*/*.json.gz"])
for entity in ("customers", "products", "transactions"):
    con.execute(f"create table {entity} as select * from read_csv(?, all_varchar=true, filename=true)",
                [lake + f"/raw/shop/{entity}/*/*.csv"])
"""


def measured(
    command: list[str], env: dict[str, str], log: Path, stdout: IO[str] | None = None
) -> tuple[float, float, int]:
    """Run ``command`` (its output appended to ``log``, or its stdout to ``stdout``); its
    wall seconds, peak RSS in GB and exit code."""
    started = time.perf_counter()
    with log.open("a", encoding="utf-8") as output:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=REPO,
            stdout=stdout or output,
            stderr=subprocess.STDOUT if stdout is None else output,
        )
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    return seconds, usage.ru_maxrss / 1024 / 1024, os.waitstatus_to_exitcode(status)


def last_run_steps(lake: Path) -> dict[str, float]:
    documents = sorted((lake / "_runs").glob("2*.json"))
    document: dict[str, Any] = json.loads(documents[-1].read_text("utf-8"))
    return {entry["name"]: float(entry.get("seconds") or 0) for entry in document["steps"]}


def write_new_hour(sample: Path, inbox: Path, end_date: date) -> None:
    """1,000 events on the hour after the sample's last day, copied from its first lines
    with new ids (so each is new to the warehouse)."""
    inbox.mkdir(parents=True, exist_ok=True)
    hour = end_date + timedelta(days=1)
    lines = []
    with gzip.open(sample / "events.jsonl.gz", "rt", encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            if index == NEW_HOUR_EVENTS:
                break
            event = json.loads(line)
            event["event_id"] = str(uuid.UUID(int=index + 1))
            event["occurred_at"] = f"{hour.isoformat()}T00:{index * 60 // NEW_HOUR_EVENTS:02d}:00Z"
            lines.append(json.dumps(event))
    with gzip.open(inbox / "events.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def scale_arguments(description: str | None, default_scale: float) -> argparse.Namespace:
    """--scale, --seed and --work, as every scale bench takes them."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=default_scale)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, help="keep (and reuse) the generated sample here")
    return parser.parse_args()


def bench_env(scratch: Path) -> dict[str, str]:
    """The environment of a bench's c360 calls: the lake, warehouses and dbt's target in
    ``scratch``, on the local target."""
    return {
        **os.environ,
        "C360_LAKE": str(scratch / "lake"),
        "C360_WAREHOUSE": str(scratch / "c360.duckdb"),
        "C360_PUBLISHED": str(scratch / "published.duckdb"),
        "C360_TARGET": "local",
        "DBT_TARGET_PATH": str(scratch / "target"),
    }


def generated(
    sample: Path, args: argparse.Namespace, env: dict[str, str], log: Path
) -> tuple[float, float] | None:
    """Generate the sample at ``args.scale`` unless it is there already: its seconds and
    peak RSS, or None when it was reused."""
    if (sample / "events.jsonl.gz").exists():
        return None
    command = [
        *C360,
        "generate",
        "--scale",
        f"{args.scale:g}",
        "--seed",
        str(args.seed),
        "--out",
        str(sample),
    ]
    seconds, rss, code = measured(command, env, log)
    if code:
        raise SystemExit(f"generate failed ({code})")
    return seconds, rss


def main() -> None:
    args = scale_arguments(__doc__, 10.0)
    scratch = Path(tempfile.mkdtemp(prefix="c360-scale-"))
    sample = (args.work or scratch) / f"sample-{args.scale:g}-{args.seed}"
    lake = scratch / "lake"
    env = bench_env(scratch)
    log = (args.work or Path(tempfile.gettempdir())) / f"bench-scale-{args.scale:g}.log"
    log.unlink(missing_ok=True)
    print(f"each phase's output: {log}")
    rows: list[tuple[str, float, float]] = []

    def done(name: str, seconds: float, rss: float) -> None:
        rows.append((name, seconds, rss))
        print(f"{name:<14} {seconds:>8.1f} s {rss:>8.2f} GB peak RSS", flush=True)

    try:
        made = generated(sample, args, env, log)
        if made is not None:
            done("generate", *made)
        first, rss, code = measured([*C360, "run", "--input", str(sample)], env, log)
        if code:
            raise SystemExit(f"the first run failed ({code})")
        done("first run", first, rss)
        steps = last_run_steps(lake)
        names = [*contract("events").columns, *LINEAGE_STRINGS, *LINEAGE_TIMESTAMPS]
        columns = ", ".join(f"'{name}': 'varchar'" for name in names)
        floor_db = scratch / "floor.duckdb"
        floor, rss, code = measured(
            [sys.executable, "-c", FLOOR_SCRIPT, str(lake), str(floor_db), columns], env, log
        )
        if code:
            raise SystemExit(f"the read floor failed ({code})")
        done("read floor", floor, rss)
        write_new_hour(sample, scratch / "new-hour", date(2025, 12, 31))
        new_hour, rss, code = measured([*C360, "run", "--input", str(scratch / "new-hour")], env, log)
        if code:
            raise SystemExit(f"the new-hour run failed ({code})")
        done("one new hour", new_hour, rss)
        new_hour_steps = last_run_steps(lake)
        noop, rss, code = measured([*C360, "run"], env, log)
        done("nothing new", noop, rss)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"scale {args.scale:g} (seed {args.seed})")
    print(f"{'phase':<14} {'seconds':>8} {'peak RSS GB':>12}")
    for name, seconds, rss in rows:
        print(f"{name:<14} {seconds:>8.1f} {rss:>12.2f}")
    print("first run, by step:  " + ", ".join(f"{k} {v:.1f}" for k, v in steps.items()))
    print("new hour, by step:   " + ", ".join(f"{k} {v:.1f}" for k, v in new_hour_steps.items()))
    print(f"build ÷ read floor:  {steps['build'] / floor:.1f}×")
    print(f"new hour ÷ first run: {new_hour / first:.3f}")


if __name__ == "__main__":
    main()
