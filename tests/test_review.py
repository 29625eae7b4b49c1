"""c360 review on DuckDB and PostgreSQL: an unchanged project has nothing to review, a
comment changes no row, a change that drops one row of a mart is reported as exactly that;
a bad change is one line and leaves the published warehouse as it was; and the slim-CI
workflow that runs it on a pull request."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from c360.cli import app
from c360.pipeline import runner
from c360.settings import DBT_PROJECT_DIR, Settings
from c360.warehouse.data_diff import ModelDiff
from c360.warehouse.publish import published_manifest_key
from c360.warehouse.review import ReviewError, ReviewResult, markdown, review
from loaders.warehouse.postgres_raw import connection_from_env
from tests.conftest import Built, Postgres, copy_of_built
from tests.test_publish_and_lock import _hold_lock

pytestmark = pytest.mark.dbt


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target*", "logs"))
    return project


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def settings(built: Built, tmp_path: Path) -> Settings:
    """A private copy of the session's lake and warehouses. The lake keeps the published
    manifest per warehouse, and the copy's warehouse is another path: it gets the one the
    session's run kept."""
    copied = copy_of_built(built, tmp_path)
    kept = Path(copied.lake) / "_runs_published"
    (original,) = kept.glob("local-*.manifest.json")
    shutil.copy(original, kept / f"local-{copied.warehouse_identity()}.manifest.json")
    return copied


def test_an_unchanged_project_has_nothing_to_review(settings: Settings, tmp_path: Path) -> None:
    ran = _cli(settings, "--json", "--project-dir", str(_project(tmp_path)))
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout) == {"models": [], "rebuilt": [], "tests": {}, "failures": [], "errors": []}
    assert "nothing to review" in ran.stderr


def test_a_comment_changes_no_row(settings: Settings, tmp_path: Path) -> None:
    project = _project(tmp_path)
    model = project / "models/marts/analytics/monthly_revenue.sql"
    model.write_text(model.read_text("utf-8") + "\n-- a comment\n", "utf-8")
    before = _digest(settings.published)
    result = review(settings, project)
    assert "monthly_revenue" in result.rebuilt and result.passed
    assert all(model.same for model in result.models), [m.as_json() for m in result.models]
    assert _digest(settings.published) == before


def test_dropping_one_row_of_a_mart_is_reported_as_exactly_that(settings: Settings, tmp_path: Path) -> None:
    project = _project(tmp_path)
    model = project / "models/marts/analytics/monthly_revenue.sql"
    # One month of the sample (its unit tests' months are 2025's first three) left out.
    text = model.read_text("utf-8").replace(
        "select * from final", "select * from final where month_start <> cast('2024-06-01' as date)"
    )
    model.write_text(text, "utf-8")
    result = review(settings, project)
    assert "monthly_revenue" in result.rebuilt, (result.rebuilt, result.failures, result.tests)
    diff = next(model for model in result.models if model.name == "monthly_revenue")
    assert (diff.added, diff.removed, diff.changed, diff.schema_changes) == (0, 1, 0, [])
    # The mart no longer adds up to the revenue: the review says so, beside the diff.
    assert not result.passed and "marts_revenue_adds_up" in result.failures[0]


def test_no_published_manifest_is_one_line(settings: Settings, tmp_path: Path) -> None:
    for kept in (Path(settings.lake) / "_runs_published").glob("*.manifest.json"):
        kept.unlink()
    with pytest.raises(ReviewError, match="no manifest"):
        review(settings, _project(tmp_path))


def _cli(settings: Settings, *args: str) -> Any:
    env = {
        "C360_LAKE": str(settings.lake),
        "C360_WAREHOUSE": str(settings.warehouse),
        "C360_PUBLISHED": str(settings.published),
        "C360_TARGET": "local",
    }
    return CliRunner().invoke(app, ["review", *args], env=env)


def test_the_cli_writes_json_and_markdown_and_exits_by_the_tests(settings: Settings, tmp_path: Path) -> None:
    project = _project(tmp_path)
    # Country names in capitals: every row of dim_geographies changes in one column.
    dimension = project / "models/marts/core/dim_geographies.sql"
    dimension.write_text(
        dimension.read_text("utf-8").replace(
            "cast(country_name as {{ dbt.type_string() }})",
            "upper(cast(country_name as {{ dbt.type_string() }}))",
        ),
        "utf-8",
    )
    comment = tmp_path / "review.md"
    ran = _cli(settings, "--json", "--markdown", str(comment), "--project-dir", str(project))
    assert ran.exit_code == 0, ran.output
    reported = json.loads(ran.stdout)
    geographies = next(model for model in reported["models"] if model["name"] == "dim_geographies")
    assert (geographies["added"], geographies["removed"]) == (0, 0)
    assert geographies["changed"] > 0 and geographies["changed_columns"] == {
        "country_name": geographies["changed"]
    }
    assert "dim_geographies" in reported["rebuilt"] and reported["tests"]
    row = f"| dim_geographies | country_code | 0 | 0 | {geographies['changed']} | country_name"
    assert row in comment.read_text("utf-8")
    # A month left out of monthly_revenue: the mart no longer adds up to the revenue, so a
    # data test fails: exit 1, one line naming it (the diff is still reported).
    model = project / "models/marts/analytics/monthly_revenue.sql"
    model.write_text(
        model.read_text("utf-8").replace(
            "select * from final", "select * from final where month_start <> cast('2024-06-01' as date)"
        ),
        "utf-8",
    )
    failed = _cli(settings, "--project-dir", str(project))
    assert failed.exit_code == 1
    assert "marts_revenue_adds_up" in failed.stderr.strip().splitlines()[-1]


def test_a_review_without_a_published_manifest_exits_2(settings: Settings, tmp_path: Path) -> None:
    for kept in (Path(settings.lake) / "_runs_published").glob("*.manifest.json"):
        kept.unlink()
    ran = _cli(settings, "--project-dir", str(_project(tmp_path)))
    assert ran.exit_code == 2 and "no manifest" in ran.stderr


def _published_on_postgres(cursor: Any) -> dict[str, str]:
    """Every schema of the server, and every relation with a digest of its rows (order aside)."""
    cursor.execute("select schema_name from information_schema.schemata order by 1")
    digests = {f"schema {name}": "" for (name,) in cursor.fetchall()}
    cursor.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2"
    )
    for schema, table in cursor.fetchall():
        cursor.execute(
            f'select count(*), coalesce(sum(hashtext(t::text)::numeric), 0) from "{schema}"."{table}" as t'
        )
        digests[f"{schema}.{table}"] = str(cursor.fetchone())
    return digests


@pytest.mark.xdist_group("postgres")
def test_a_review_on_postgres_builds_beside_the_published_schemas(
    built: Built, postgres: Postgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same review on PostgreSQL: the change builds into `<schema>__review` schemas,
    reads what it did not touch from the published ones (dbt's --defer), and leaves the
    server as it found it."""
    for name, value in postgres.database("c360_review").items():
        monkeypatch.setenv(name, value)
    lake = tmp_path / "lake"
    shutil.copytree(built.settings.lake, lake)
    settings = Settings.resolve(lake=lake, warehouse=tmp_path / "wh" / "c360.duckdb", target="postgres")
    assert runner.run(settings, say=lambda _m: None).document["status"] == "published"
    kept = json.loads((lake / published_manifest_key(settings)).read_text("utf-8"))
    # The lake keeps the published build's names, not the audit schemas it was built in.
    assert kept["nodes"]["model.c360.monthly_revenue"]["schema"] == "analytics"
    connection = connection_from_env()
    connection.autocommit = True
    with connection, connection.cursor() as cursor:
        before = _published_on_postgres(cursor)
        project = _project(tmp_path)
        assert review(settings, project) == ReviewResult()  # nothing to review
        # A comment in a dimension (which rebuilds it and everything below it, same rows)
        # and a month left out of monthly_revenue, in one review.
        dimension = project / "models/marts/core/dim_geographies.sql"
        dimension.write_text(dimension.read_text("utf-8") + "\n-- a comment\n", "utf-8")
        model = project / "models/marts/analytics/monthly_revenue.sql"
        model.write_text(
            model.read_text("utf-8").replace(
                "select * from final", "select * from final where month_start <> cast('2024-06-01' as date)"
            ),
            "utf-8",
        )
        result = review(settings, project, name="pr_7")  # into <schema>__review_pr_7
        diffs = {diff.name: diff for diff in result.models}
        assert {"dim_geographies", "geo_revenue", "monthly_revenue"} <= set(result.rebuilt) == set(diffs)
        assert [name for name, diff in diffs.items() if not diff.same] == ["monthly_revenue"]
        revenue = diffs["monthly_revenue"]
        assert (revenue.key, revenue.added, revenue.removed, revenue.changed) == (["month_start"], 0, 1, 0)
        assert not result.passed and "marts_revenue_adds_up" in result.failures[0] and not result.errors
        # The published schemas hold what they held, and no review schema is left.
        assert _published_on_postgres(cursor) == before


GEOGRAPHIES = "models/marts/core/dim_geographies.sql"


def _edit(project: Path, path: str, old: str, new: str) -> None:
    file = project / path
    text = file.read_text("utf-8")
    assert old in text, (path, old)
    file.write_text(text.replace(old, new), "utf-8")


def _delete_monthly_revenue(project: Path) -> None:
    (project / "models/marts/analytics/monthly_revenue.sql").unlink()
    (project / "models/marts/analytics/monthly_revenue.yml").unlink()


@pytest.mark.parametrize(
    ("change", "exit_code", "said"),
    [
        pytest.param(
            lambda project: _edit(project, GEOGRAPHIES, "{{ ref('countries') }}", "{{ ref('countries' }}"),
            2,
            "the change does not parse: dbt ls failed: Compilation Error in model dim_geographies",
            id="jinja-that-does-not-parse",
        ),
        pytest.param(
            lambda project: _edit(project, GEOGRAPHIES, "from countries\n", "frum countries\n"),
            2,
            "model dim_geographies:",
            id="sql-that-does-not-compile",
        ),
        pytest.param(
            lambda project: _edit(
                project, GEOGRAPHIES, "cast(latitude as numeric(9, 6))", "cast(latitude as double)"
            ),
            1,
            "enforced contract that failed: latitude is DOUBLE, the contract says DECIMAL(9,6)",
            id="a-broken-contract",
        ),
        pytest.param(
            _delete_monthly_revenue,
            2,
            "depends on a node named 'monthly_revenue' which was not found",
            id="a-deleted-model-an-exposure-still-reads",
        ),
    ],
)
def test_a_bad_change_is_one_line_and_leaves_the_published_warehouse_as_it_was(
    settings: Settings, tmp_path: Path, change: Callable[[Path], None], exit_code: int, said: str
) -> None:
    project = _project(tmp_path)
    change(project)
    before = _digest(settings.published)
    comment = tmp_path / "review.md"
    ran = _cli(settings, "--project-dir", str(project), "--markdown", str(comment))
    assert ran.exit_code == exit_code, ran.output
    line = ran.stderr.strip().splitlines()[-1]
    assert line.startswith("error:") and said in line, line
    assert said in comment.read_text("utf-8")  # the pull request's comment says it too
    assert "Traceback" not in ran.output
    assert _digest(settings.published) == before


def test_a_review_while_a_run_holds_the_warehouse_is_one_line(settings: Settings, tmp_path: Path) -> None:
    holder = _hold_lock(settings, 30)
    try:
        ran = _cli(settings, "--project-dir", str(_project(tmp_path)))
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
    assert ran.exit_code == 2
    [line] = ran.stderr.strip().splitlines()
    assert "is busy: `c360 run --input exports`" in line


def test_a_new_model_and_a_deleted_one_are_said(settings: Settings, tmp_path: Path) -> None:
    project = _project(tmp_path)
    # (in intermediate: the marts' contracts would want its columns declared first)
    (project / "models/intermediate/int_countries_named.sql").write_text(
        "select country_code, country_name from {{ ref('dim_geographies') }}\n", "utf-8"
    )
    for path in ("models/marts/core/dim_months.sql", "models/marts/core/dim_months.yml"):
        (project / path).unlink()  # nothing reads the monthly time spine but the semantic layer
    result = review(settings, project)
    assert result.passed, result.failures
    diffs = {diff.name: diff for diff in result.models}
    with duckdb.connect(str(settings.published), read_only=True) as published:
        [countries, months] = [
            published.execute(f"select count(*) from {table}").fetchall()[0][0]
            for table in ("core.dim_geographies", "core.dim_months")
        ]
    new = diffs["int_countries_named"]
    assert (new.added, new.removed, new.schema_changes) == (countries, 0, ["new model"])
    gone = diffs["dim_months"]
    assert (gone.added, gone.removed, gone.schema_changes) == (0, months, ["model removed"])
    assert months > 12 and "dim_months" not in result.rebuilt


def test_the_markdown_keeps_a_composite_key_inside_its_cell() -> None:
    diff = ModelDiff("geo_revenue", ["country_code", "month_start"], changed=2)
    diff.changed_columns = {"country_name": 2}
    diff.examples = {"country_name": ["AU|2024-02-01", "AU|2024-03-01"]}
    text = markdown(ReviewResult(rebuilt=["geo_revenue"], models=[diff], tests={"pass": 3}))
    row = next(line for line in text.splitlines() if line.startswith("| geo_revenue"))
    cells = re.split(r"(?<!\\)\|", row.strip().strip("|"))
    assert len(cells) == 7 and cells[5].strip() == r"country_name 2 (e.g. AU\|2024-02-01, AU\|2024-03-01)"
    assert "the build passed (3 pass)" in text


ROOT = DBT_PROJECT_DIR.parent


def test_the_slim_ci_workflow_lints_reviews_and_posts_the_markdown() -> None:
    workflow = yaml.safe_load((ROOT / "ci/c360-review.yml").read_text("utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "dbt/**" in triggers["pull_request"]["paths"]
    job = workflow["jobs"]["review"]
    steps = {step.get("id") or step.get("name") or step["uses"]: step for step in job["steps"]}
    assert steps["review"]["run"] == "make review" and steps["review"]["continue-on-error"] is True
    post = steps["Post the review on the pull request"]
    assert "gh pr comment" in post["run"] and "--body-file build/review.md" in post["run"]
    assert post["if"].startswith("always()")
    assert job["steps"][-1]["if"] == "steps.review.outcome == 'failure'"
    # Each pull request reviews into schemas of its own, and every setting is one c360 reads.
    assert job["env"]["C360_REVIEW_NAME"] == "pr_${{ github.event.pull_request.number }}"
    read = "".join(
        path.read_text("utf-8")
        for path in (ROOT / "config/connections.py", ROOT / "c360/settings.py", ROOT / "c360/cli/pipeline.py")
    )
    assert [name for name in job["env"] if name not in read] == []
    # The same steps on a laptop: `make review` is the lint, then the review into that file.
    # (not as a sub-make of `make test`, which would print the directories it enters)
    alone = {
        name: value for name, value in os.environ.items() if name not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")
    }
    planned = subprocess.run(
        ["make", "-n", "--no-print-directory", "review"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=alone,
    ).stdout.splitlines()
    assert ".venv/bin/ruff check ." in planned and ".venv/bin/sqlfluff lint dbt/models" in planned
    assert planned[-1] == ".venv/bin/c360 review --markdown build/review.md"


def test_a_review_name_that_is_not_a_schema_name_is_one_line(settings: Settings, tmp_path: Path) -> None:
    # Refused before anything is read or built: the name becomes part of schema names.
    ran = _cli(settings, "--target", "postgres", "--name", "PR-9", "--project-dir", str(_project(tmp_path)))
    assert ran.exit_code == 2
    [line] = ran.stderr.strip().splitlines()
    assert "'PR-9': a review's name is 1 to 40 of a-z, 0-9 and _" in line
