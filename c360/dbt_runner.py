"""Run dbt with the project's profile and target, so nobody copies a profile file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from c360.settings import DBT_PROJECT_DIR, Settings


@dataclass
class DbtResult:
    command: list[str]
    exit_code: int
    statuses: dict[str, int]  # e.g. {"success": 5, "pass": 15, "fail": 1}

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def dbt_executable() -> str:
    """The dbt of this interpreter's environment, whether or not it is on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def check_buildable(settings: Settings) -> None:
    """Refuse, in one line, a combination dbt cannot build from."""
    if settings.target == "local" and settings.lake.startswith("s3://"):
        raise ValueError(
            f"{settings.lake}: the local target builds from a lake folder; land to S3 with"
            " `c360 land --lake s3://...`, but build from a folder (or with --target redshift)"
        )


def run_dbt(settings: Settings, args: list[str], project_dir: Path = DBT_PROJECT_DIR) -> DbtResult:
    """Run ``dbt <args>`` for the settings' target; output streams to the terminal."""
    check_buildable(settings)
    if settings.target == "local":
        settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    command = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target",
        settings.target,
    ]
    env = {**os.environ, **settings.environment()}
    # dbt writes run_results.json, or sources.json for `source freshness`. Remove both
    # first, so a previous run's statuses are never reported as this one's.
    results = [project_dir / "target" / name for name in ("run_results.json", "sources.json")]
    for path in results:
        path.unlink(missing_ok=True)
    completed = subprocess.run(command, env=env, check=False)
    return DbtResult(command, completed.returncode, _statuses(results))


def _statuses(results: list[Path]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in results:
        if path.exists():
            for result in json.loads(path.read_text("utf-8")).get("results", []):
                counts[result["status"]] = counts.get(result["status"], 0) + 1
    return counts
