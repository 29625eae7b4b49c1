from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from c360.cli import app
from c360.cli.options import takes_settings
from c360.settings import Settings

runner = CliRunner()
COMMANDS = [
    "generate",
    "land",
    "unland",
    "stream",
    "consume",
    "compact",
    "spectrum",
    "contracts",
    "build",
    "run",
    "publish",
    "app",
    "docs",
    "step",
    "statemachine",
    "postgres",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output and len(result.output.splitlines()) > 5


def test_generate_then_land_twice(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "in"), "--scale", "0.01", "--json"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "in" / "events.jsonl.gz").exists()
    first = runner.invoke(app, ["land", str(tmp_path / "in"), "--lake", str(tmp_path / "lake")])
    second = runner.invoke(app, ["land", str(tmp_path / "in"), "--lake", str(tmp_path / "lake")])
    assert first.exit_code == second.exit_code == 0
    assert "already landed" not in first.output and second.output.count("already landed") == 5


def test_bad_header_is_one_line_and_exit_1(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_text("product_id,name\nP1,x\n")
    result = runner.invoke(app, ["land", str(tmp_path / "products.csv"), "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "missing column 'product_name'" in lines[0]
    assert not (tmp_path / "lake").exists()


def test_lake_comes_from_the_environment_when_no_flag(tmp_path: Path) -> None:
    runner.invoke(app, ["generate", "--out", str(tmp_path / "in"), "--scale", "0.01"])
    result = runner.invoke(
        app, ["land", str(tmp_path / "in" / "products.csv")], env={"C360_LAKE": str(tmp_path / "envlake")}
    )
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "envlake").glob("raw/shop/products/*/*.csv"))


def test_unknown_target_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", "--target", "oracle"])
    assert result.exit_code == 1 and "unknown target 'oracle'" in result.output


def test_app_without_a_published_copy_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["app", "--published", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "run `c360 run` first" in result.output


def test_building_locally_from_an_s3_lake_is_refused_before_landing(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--lake", "s3://bucket/lake", "--input", str(tmp_path)])
    assert result.exit_code == 1
    assert "the local target builds from a lake folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("command", "given", "message"),
    [
        (
            "build",
            '{"as_of_date": "2024-02-30"}',
            "var as_of_date must be a date, YYYY-MM-DD; got '2024-02-30'",
        ),
        ("run", '{"as_of_date": "last week"}', "var as_of_date must be a date, YYYY-MM-DD; got 'last week'"),
        ("run", "[1, 2]", "--vars must be a mapping of var names to values"),
        ("build", '{"as_of_date": ', "--vars is not YAML or JSON"),
        ("build", '{"c360_clv_margin_rate": 2}', "var c360_clv_margin_rate must be from 0 to 1; got 2"),
        (
            "run",
            '{"c360_clv_min_repeat_customers": 0}',
            "var c360_clv_min_repeat_customers must be at least 1",
        ),
    ],
)
def test_bad_vars_are_one_line_before_anything_is_landed_or_built(
    tmp_path: Path, command: str, given: str, message: str
) -> None:
    lake, warehouse = tmp_path / "lake", tmp_path / "warehouse" / "c360.duckdb"
    result = CliRunner().invoke(
        app,
        [command, "--lake", str(lake), "--warehouse", str(warehouse), "--target", "local", "--vars", given],
    )
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not lake.exists() and not warehouse.exists(), "nothing generated, landed or built"


def test_consume_needs_a_kinesis_uri() -> None:
    result = CliRunner().invoke(app, ["consume", "--from", "sqs://queue"])
    assert result.exit_code == 1 and "expected kinesis://STREAM" in result.stderr


def test_a_laptop_keeps_one_pii_salt_beside_the_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("C360_PII_SALT", raising=False)
    settings = Settings.resolve(
        lake=tmp_path / "lake", warehouse=tmp_path / "wh" / "c360.duckdb", target="local"
    )
    salt = settings.pii_salt()
    assert re.fullmatch(r"[0-9a-f]{64}", salt)
    salt_file = tmp_path / "wh" / "pii_salt"
    assert salt_file.stat().st_mode & 0o777 == 0o600
    assert settings.pii_salt() == salt  # a rebuild hashes alike
    assert [path.name for path in salt_file.parent.iterdir()] == ["pii_salt"]  # no draft left behind
    monkeypatch.setenv("C360_PII_SALT", "from-a-secret-store")
    assert settings.pii_salt() == "from-a-secret-store"


def _settings_seen(*names: str, args: list[str], env: dict[str, str] | None = None) -> Settings:
    """The settings a command declaring ``names`` receives for ``args`` (and environment)."""
    seen: list[Settings] = []
    probe = typer.Typer()

    @probe.command()
    @takes_settings(*names)
    def command(settings: Settings, other: int = 0) -> None:
        seen.append(settings)

    result = runner.invoke(probe, args, env=env)
    assert result.exit_code == 0, result.output
    return seen[0]


def test_a_shared_option_is_declared_once_and_resolved_flag_then_environment_then_default(
    tmp_path: Path,
) -> None:
    flagged = _settings_seen("lake", "target", args=["--lake", str(tmp_path / "a")], env={"C360_LAKE": "x"})
    assert flagged.lake == str(tmp_path / "a") and flagged.target == "local"
    from_env = _settings_seen("lake", args=[], env={"C360_LAKE": str(tmp_path / "b")})
    assert from_env.lake == str(tmp_path / "b")
    server = _settings_seen(
        "target", "lock_timeout", args=["--lock-timeout", "5"], env={"C360_TARGET": "postgres"}
    )
    assert (server.target, server.lock_timeout) == ("postgres", 5.0)
    with pytest.raises(ValueError, match="no such settings option: lakes"):
        takes_settings("lakes")


def test_a_command_lists_only_the_settings_it_takes() -> None:
    land = runner.invoke(app, ["land", "--help"]).output
    assert "--lake" in land and "--kms-key-id" in land and "--warehouse" not in land
    build = runner.invoke(app, ["build", "--help"]).output
    assert "--warehouse" in build and "--lake" in build and "--published" not in build


def test_the_help_groups_the_commands_as_a_user_thinks_of_them() -> None:
    output = runner.invoke(app, ["--help"], terminal_width=120).output
    panels = [line for line in output.splitlines() if line.startswith("╭─")]
    assert [panel.split("─")[1].strip().split(":")[0] for panel in panels[1:]] == [
        "Ingest",
        "Pipeline",
        "Set up",
        "Explore",
    ]
    for command in COMMANDS:
        assert re.search(rf"│ {command}\s", output), command
