"""`c360 review` of a one-line change against a full build, at a scale (DuckDB).

    .venv/bin/python bench/bench_review.py --scale 1 [--work DIR]

1. `c360 run --input` of a generated sample (kept in --work and reused), which publishes
   the warehouse and its manifest.
2. `c360 build --full-refresh`: what rebuilding everything costs.
3. `c360 review` of an unchanged project, then of three one-line changes, each in its
   own copy of dbt/: a leaf mart (monthly_revenue), a conformed dimension
   (dim_geographies, which the geographic marts read) and a staging model
   (stg_shop__products, which most of the star schema reads). For each: its seconds,
   the models it rebuilt, and its seconds against the full build's.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from bench_scale import C360, REPO, bench_env, generated, measured, scale_arguments

CHANGES = {
    "nothing changed": None,
    "monthly_revenue (leaf mart)": (
        "models/marts/analytics/monthly_revenue.sql",
        "select * from final",
        "select * from final where month_start <> cast('2024-06-01' as date)",
    ),
    "dim_geographies (dimension)": (
        "models/marts/core/dim_geographies.sql",
        "cast(country_name as {{ dbt.type_string() }})",
        "upper(cast(country_name as {{ dbt.type_string() }}))",
    ),
    "stg_shop__products (a comment)": (
        "models/staging/shop/stg_shop__products.sql",
        "select * from final",
        "select * from final -- one line\n",
    ),
}


def project_with(change: tuple[str, str, str] | None, root: Path) -> Path:
    project = root / "dbt"
    shutil.copytree(REPO / "dbt", project, symlinks=False, ignore=shutil.ignore_patterns("target*", "logs"))
    if change is not None:
        path, old, new = change
        text = (project / path).read_text("utf-8")
        if old not in text:
            raise SystemExit(f"{path}: {old!r} not found; update the bench's change")
        (project / path).write_text(text.replace(old, new, 1), "utf-8")
    return project


def main() -> None:
    args = scale_arguments(__doc__, 1.0)
    scratch = Path(tempfile.mkdtemp(prefix="c360-bench-review-"))
    sample = (args.work or scratch) / f"sample-{args.scale:g}-{args.seed}"
    env = bench_env(scratch)
    log = (args.work or Path(tempfile.gettempdir())) / f"bench-review-{args.scale:g}.log"
    log.unlink(missing_ok=True)
    print(f"each phase's output: {log}", flush=True)
    try:
        generated(sample, args, env, log)
        run, _rss, code = measured([*C360, "run", "--input", str(sample)], env, log)
        if code:
            raise SystemExit(f"the run failed ({code})")
        full, _rss, code = measured([*C360, "build", "--full-refresh"], env, log)
        if code:
            raise SystemExit(f"the full build failed ({code})")
        print(f"scale {args.scale:g}: first run {run:.1f} s, full build {full:.1f} s", flush=True)
        print(f"{'change':<30} {'seconds':>8} {'÷ full build':>13} {'exit':>5}  rebuilt")
        for name, change in CHANGES.items():
            root = scratch / name.split()[0]
            project = project_with(change, root)
            out = root / "review.json"
            command = [*C360, "review", "--project-dir", str(project), "--json"]
            with out.open("w", encoding="utf-8") as stdout:
                seconds, _rss, code = measured(command, env, log, stdout=stdout)
            rebuilt = json.loads(out.read_text("utf-8") or "{}").get("rebuilt", []) if code in (0, 1) else []
            shown = f"{len(rebuilt)} models" + (f" ({', '.join(rebuilt)})" if len(rebuilt) <= 4 else "")
            print(f"{name:<30} {seconds:>8.1f} {seconds / full:>13.2f} {code:>5}  {shown}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
