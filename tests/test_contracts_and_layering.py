from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from c360.cli import app
from c360.settings import DBT_PROJECT_DIR, PROJECT_ROOT
from loaders.contracts import ENTITIES, codegen, contract


def test_the_generated_dbt_files_match_the_contracts() -> None:
    """`c360 contracts --check` (run by make lint): the dbt sources and vocabularies are current."""
    assert codegen.stale_files(DBT_PROJECT_DIR) == []
    result = CliRunner().invoke(app, ["contracts", "--check"])
    assert result.exit_code == 0, result.output


def test_a_hand_edit_to_a_generated_file_is_caught(tmp_path: Path) -> None:
    project = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR / "models", project / "models")
    shutil.copy(DBT_PROJECT_DIR / "dbt_project.yml", project)
    sources = project / "models/staging/shop/_shop__sources.yml"
    sources.write_text(sources.read_text().replace("customer_id: 'varchar', ", ""))
    project_file = project / "dbt_project.yml"
    project_file.write_text(project_file.read_text().replace("- female", "- feminine", 1))
    assert set(codegen.stale_files(project)) == {sources, project_file}
    assert codegen.write(project) == [sources, project_file]
    assert codegen.stale_files(project) == []


@pytest.mark.parametrize("entity", ENTITIES)
def test_dbt_source_columns_are_the_contract_columns(entity: str) -> None:
    spec = contract(entity)
    document = yaml.safe_load(
        (DBT_PROJECT_DIR / f"models/staging/{spec.source}/_{spec.source}__sources.yml").read_text()
    )
    table = next(t for t in document["sources"][0]["tables"] if t["name"] == entity)
    lineage = ["_kinesis_shard_id", "_kinesis_sequence_number", "_kinesis_arrival_at", "_landed_at"]
    assert [c["name"] for c in table["columns"]] == spec.columns + (lineage if entity == "events" else [])


@pytest.mark.parametrize("entity", ENTITIES)
def test_contract_primary_key_is_required(entity: str) -> None:
    spec = contract(entity)
    assert spec.primary_key in spec.required
    assert spec.loaded_at_field in spec.columns


def _imports(package: str) -> set[str]:
    found: set[str] = set()
    for path in (PROJECT_ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_rooms_import_only_what_the_design_allows() -> None:
    assert "c360" not in _imports("loaders"), "loaders never import the CLI"
    assert "loaders" not in _imports("app"), "the app never imports loaders"
    assert "streamlit" not in _imports("loaders") | _imports("c360")


def test_importing_the_app_does_not_load_loaders() -> None:
    code = (
        "import sys, app.warehouse, app.queries, app.ui;"
        " assert 'loaders' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)
