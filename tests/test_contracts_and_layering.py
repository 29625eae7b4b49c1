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


ROOMS = ("config", "loaders", "c360", "app")
# Which rooms each may import (besides itself and third-party packages), as
# docs/architecture.md's rooms table says.
MAY_IMPORT = {
    "config": set(),
    "loaders": {"config"},
    "c360": {"config", "loaders"},
    "app": {"config", "c360"},
}


def test_rooms_import_only_what_the_design_allows() -> None:
    for room, allowed in MAY_IMPORT.items():
        reached = _imports(room) & set(ROOMS) - {room}
        assert reached <= allowed, f"{room} imports {sorted(reached - allowed)}"
    assert "streamlit" not in _imports("loaders") | _imports("c360") | _imports("config")


def _module_graph() -> dict[str, set[str]]:
    """Every first-party module and the first-party modules it imports, at the top of the
    file or inside a function (a lazy import is an arrow too)."""
    files = {
        ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__"): path
        for room in ROOMS
        for path in (PROJECT_ROOT / room).rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(
                        [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                    ).strip(".")
                names = [f"{base}.{alias.name}" for alias in node.names] + [base]
            else:
                continue
            for name in names:
                # the longest first-party module the name starts with: a.b.c -> a.b if a.b.c is a name in it
                while name and name not in files:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    found.add(name)
        graph[module] = found
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_back_through_others() -> None:
    graph = _module_graph()
    assert "c360.pipeline.steps" in graph and "c360.warehouse.build" in graph["c360.pipeline.steps"]
    assert _cycles(graph) == []


def test_an_import_circle_is_found() -> None:
    graph = _module_graph()
    graph["c360.warehouse.build"] = {*graph["c360.warehouse.build"], "c360.pipeline.steps"}
    assert ["c360.pipeline.steps", "c360.warehouse.build"] in _cycles(graph)


def test_importing_the_app_does_not_load_loaders() -> None:
    code = (
        "import sys, app.warehouse, app.queries, app.ui;"
        " assert 'loaders' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)
