from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest
import yaml

from c360.settings import PROJECT_ROOT
from loaders.contracts import ENTITIES, contract

SOURCES = {
    "shop": PROJECT_ROOT / "dbt/models/staging/shop/_shop__sources.yml",
    "web": PROJECT_ROOT / "dbt/models/staging/web/_web__sources.yml",
}
LINEAGE = ["_kinesis_shard_id", "_kinesis_sequence_number", "_kinesis_arrival_at", "_landed_at"]


def _source_table(entity: str) -> dict:  # type: ignore[type-arg]
    spec = contract(entity)
    document = yaml.safe_load(SOURCES[spec.source].read_text())
    [source] = document["sources"]
    return next(t for t in source["tables"] if t["name"] == entity)


@pytest.mark.parametrize("entity", ENTITIES)
def test_dbt_source_columns_match_the_contract(entity: str) -> None:
    table = _source_table(entity)
    expected = contract(entity).columns + (LINEAGE if entity == "events" else [])
    assert [c["name"] for c in table["columns"]] == expected
    read_columns = re.findall(r"(\w+): 'varchar'", table["config"]["meta"]["external_location"])
    assert read_columns == expected, "the DuckDB reader's column list drifted from the contract"


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
    code = "import sys, app.data; assert 'loaders' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)
