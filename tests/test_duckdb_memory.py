"""DuckDB's memory for builds is set from the machine, with C360_DUCKDB_MEMORY_LIMIT to override."""

from __future__ import annotations

from pathlib import Path

import pytest

from c360.settings import Settings, duckdb_memory_limit, machine_memory_bytes
from c360.warehouse.dbt import run_dbt


def test_the_default_is_a_quarter_of_the_machine_and_the_variable_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("C360_DUCKDB_MEMORY_LIMIT", raising=False)
    assert duckdb_memory_limit() == f"{machine_memory_bytes() // 4 // 2**20}MB"
    monkeypatch.setenv("C360_DUCKDB_MEMORY_LIMIT", "3GB")
    assert duckdb_memory_limit() == "3GB"
    settings = Settings.resolve(lake="/tmp/lake", target="local")
    assert settings.environment()["C360_DUCKDB_MEMORY_LIMIT"] == "3GB"


@pytest.mark.dbt
def test_dbt_builds_with_that_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("C360_DUCKDB_MEMORY_LIMIT", "2GiB")
    settings = Settings.resolve(lake=tmp_path / "lake", warehouse=tmp_path / "c360.duckdb", target="local")
    shown = run_dbt(settings, ["show", "--inline", "select current_setting('memory_limit') as memory_limit"])
    assert shown.ok
    assert "2.0 GiB" in capsys.readouterr().err
