"""House rules for the dbt project, checked on dbt's own manifest.

The checks dbt-project-evaluator would make, which CI cannot install from dbt Hub: only
staging reads sources, models are named by their folder, every model is described and
has a primary-key test (or says in its meta why it has none).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from c360.dbt_runner import run_dbt, target_dir
from c360.settings import Settings

pytestmark = pytest.mark.dbt

NAMING = [  # folder prefix -> the names its models may have
    ("staging/", re.compile(r"^(stg|base)_(?P<source>[a-z]+)__[a-z_]+s(_rejected)?$")),
    ("intermediate/", re.compile(r"^int_[a-z_]+s_[a-z]+ed$")),
    ("marts/core/", re.compile(r"^(dim|fct)_[a-z_]+$")),
    ("marts/customer/", re.compile(r"^customer_360$")),
    ("marts/analytics/", re.compile(r"^[a-z][a-z0-9_]+$")),
]


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("parse")
    settings = Settings.resolve(lake=root / "lake", warehouse=root / "c360.duckdb", target="local")
    assert run_dbt(settings, ["parse"]).ok
    return json.loads((target_dir() / "manifest.json").read_text())  # type: ignore[no-any-return]


def _models(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]


def test_only_staging_reads_sources(manifest: dict[str, Any]) -> None:
    offenders = [
        model["name"]
        for model in _models(manifest)
        if any(dep.startswith("source.") for dep in model["depends_on"]["nodes"])
        and not model["path"].startswith("staging/")
    ]
    assert offenders == []


def test_models_are_named_by_their_folder(manifest: dict[str, Any]) -> None:
    for model in _models(manifest):
        path = model["path"]
        rule = next((pattern for prefix, pattern in NAMING if path.startswith(prefix)), None)
        assert rule is not None, f"{path}: not in a known layer folder"
        match = rule.match(model["name"])
        assert match, f"{model['name']} breaks the naming rule of {path}"
        if path.startswith("staging/"):
            assert match["source"] == Path(path).parts[1], f"{model['name']} is not in its source's folder"


def test_every_model_and_documented_column_is_described(manifest: dict[str, Any]) -> None:
    for model in _models(manifest):
        assert model["description"].strip(), f"{model['name']} has no description"
        for column in model["columns"].values():
            assert column["description"].strip(), f"{model['name']}.{column['name']} has no description"


def test_every_model_has_a_primary_key_test_or_says_why_not(manifest: dict[str, Any]) -> None:
    tested: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("attached_node"):
            continue
        name = node["test_metadata"]["name"] if node.get("test_metadata") else node["name"]
        tested.setdefault(node["attached_node"], set()).add(f"{name}:{node.get('column_name')}")
    for model in _models(manifest):
        if model["config"]["meta"].get("primary_key_exempt"):
            continue
        tests = tested.get(model["unique_id"], set())
        columns = {entry.split(":", 1)[1] for entry in tests if entry.startswith("unique:")}
        keyed = any(f"not_null:{column}" in tests for column in columns)
        compound = any(entry.startswith("unique_combination_of_columns:") for entry in tests)
        assert keyed or compound, f"{model['name']} has no primary-key test"
