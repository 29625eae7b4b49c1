"""Only green builds are published, and run / build / publish take turns on one lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c360.cli import app
from c360.settings import PROJECT_ROOT, Settings
from c360.warehouse.locking import lock_path
from c360.warehouse.publish import PublishError, publish, record_build

runner = CliRunner()


def _warehouse(tmp_path: Path) -> tuple[Path, Path]:
    warehouse, published = tmp_path / "c360.duckdb", tmp_path / "published.duckdb"
    warehouse.write_bytes(b"a green warehouse")
    return warehouse, published


def test_a_green_build_is_published(tmp_path: Path) -> None:
    warehouse, published = _warehouse(tmp_path)
    record_build(warehouse, "green")
    assert publish(warehouse, published) == published
    assert published.read_bytes() == b"a green warehouse"


@pytest.mark.parametrize(
    ("status", "message"),
    [("failed", "its last build .* is failed, not green"), ("building", "is building, not green")],
)
def test_publish_refuses_a_build_that_failed_or_did_not_finish(
    tmp_path: Path, status: str, message: str
) -> None:
    warehouse, published = _warehouse(tmp_path)
    published.write_bytes(b"the last good copy")
    record_build(warehouse, status)
    result = runner.invoke(app, ["publish", "--warehouse", str(warehouse), "--published", str(published)])
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error:") and "nothing published" in line
    with pytest.raises(PublishError, match=message):
        publish(warehouse, published)
    assert published.read_bytes() == b"the last good copy"


def test_publish_refuses_a_warehouse_changed_since_its_green_build(tmp_path: Path) -> None:
    warehouse, published = _warehouse(tmp_path)
    record_build(warehouse, "green")
    warehouse.write_bytes(b"rewritten by dbt run outside c360")
    with pytest.raises(PublishError, match="changed since its last green c360 build"):
        publish(warehouse, published)
    never_built = tmp_path / "other.duckdb"
    never_built.write_bytes(b"made by dbt alone")
    with pytest.raises(PublishError, match="no c360 build is recorded"):
        publish(never_built, published)


def _hold_lock(settings: Settings, seconds: float) -> subprocess.Popen[bytes]:
    """Another process holding the warehouse lock, as `c360 run` would, for at most `seconds`."""
    code = (
        "import sys, time; from pathlib import Path; from c360.settings import Settings;"
        " from c360.warehouse.locking import warehouse_lock;"
        " s = Settings.resolve(warehouse=Path(sys.argv[1]), lake=Path(sys.argv[1]).parent);"
        " lock = warehouse_lock(s, 'c360 run --input exports'); lock.__enter__();"
        " print('held', flush=True); time.sleep(float(sys.argv[2]))"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(settings.warehouse), str(seconds)],
        stdout=subprocess.PIPE,
        cwd=PROJECT_ROOT,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
    return holder


def test_a_second_caller_waits_then_names_the_holder_in_one_line(tmp_path: Path) -> None:
    settings = Settings.resolve(warehouse=tmp_path / "c360.duckdb", lake=tmp_path)
    holder = _hold_lock(settings, 30)
    try:
        started = time.monotonic()
        for command in (["publish"], ["build"], ["run", "--input", str(tmp_path)]):
            result = runner.invoke(
                app, [*command, "--warehouse", str(settings.warehouse), "--lock-timeout", "0.5"]
            )
            assert result.exit_code == 1, command
            [line] = result.stderr.strip().splitlines()
            assert "is busy: `c360 run --input exports`" in line
            assert f"(PID {holder.pid}) since" in line and "waited 0.5 s" in line
            assert "Traceback" not in result.output
        assert time.monotonic() - started < 20
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # a killed holder releases the lock
        holder.wait(timeout=10)
    assert lock_path(settings).exists()
    result = runner.invoke(app, ["publish", "--warehouse", str(settings.warehouse), "--lock-timeout", "5"])
    assert "is busy" not in result.output, "the lock died with its holder"


@pytest.mark.dbt
def test_two_runs_at_once_are_serialised(sample_dir: Path, tmp_path: Path) -> None:
    """The second `c360 run` waits for the first and then runs: no dbt lock errors."""
    env = {
        **os.environ,
        "C360_LAKE": str(tmp_path / "lake"),
        "C360_WAREHOUSE": str(tmp_path / "c360.duckdb"),
        "C360_PUBLISHED": str(tmp_path / "published.duckdb"),
        "C360_LOCK_TIMEOUT": "300",
    }
    command = [sys.executable, "-m", "c360.cli", "run", "--input", str(sample_dir), "--json"]
    first = subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    holder_file = Path(str(tmp_path / "c360.duckdb") + ".lock.holder")
    for _attempt in range(200):  # until the first run holds the lock (bounded: 20 s)
        if holder_file.exists() and str(first.pid) in holder_file.read_text():
            break
        time.sleep(0.1)
    second = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    _first_out, first_err = first.communicate(timeout=600)
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second.stderr
    assert "Could not set lock" not in second.stdout + second.stderr
    document = json.loads(second.stdout)  # --json: stdout holds the run document alone
    land = next(step["output"] for step in document["steps"] if step["name"] == "land")
    assert land["files"] > 0 and land["landed"] == 0, "it ran after the first had landed"
    assert document["status"] == "nothing new", "and found the first one's build current"
