"""c360 review on DuckDB: an unchanged project has nothing to review, a comment changes no
row, and a change that drops one row of a mart is reported as exactly that."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from c360.settings import DBT_PROJECT_DIR, Settings
from c360.warehouse.review import ReviewError, review
from tests.conftest import Built, copy_of_built

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
    result = review(settings, _project(tmp_path))
    assert result.rebuilt == [] and result.models == [] and result.passed


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


def test_no_published_manifest_is_one_line(settings: Settings, tmp_path: Path) -> None:
    for kept in (Path(settings.lake) / "_runs_published").glob("*.manifest.json"):
        kept.unlink()
    with pytest.raises(ReviewError, match="no manifest"):
        review(settings, _project(tmp_path))
