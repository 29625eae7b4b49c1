"""House rules of the dbt project, checked on dbt's own manifest.

dbt-bouncer enforces what it can express (dbt/dbt-bouncer.yml: layers, names, descriptions,
uniqueness tests, public contracts, grants, unit tests, PII at the source, no raw contact
details in the marts); it runs from its own environment, which `make test` creates. The
tests here run it, prove that a broken rule makes it fail, and keep by hand the two rules
it cannot express: a key is unique *and* not null, and every model column that carries a
contract's personal data is tagged `pii` as the source is.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from c360.settings import DBT_PROJECT_DIR, PROJECT_ROOT, Settings
from c360.warehouse.dbt import run_dbt, target_dir
from loaders.contracts import ENTITIES, contract

pytestmark = pytest.mark.dbt

BOUNCER = PROJECT_ROOT / ".tools" / "dbt-bouncer" / "bin" / "dbt-bouncer"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # Parsed for PostgreSQL: on DuckDB, which has no roles, the marts carry no grants.
    root = tmp_path_factory.mktemp("parse")
    settings = Settings.resolve(lake=root / "lake", warehouse=root / "c360.duckdb", target="postgres")
    assert run_dbt(settings, ["parse"]).ok
    return json.loads((target_dir() / "manifest.json").read_text())  # type: ignore[no-any-return]


def _bouncer(manifest: dict[str, Any], workdir: Path) -> subprocess.CompletedProcess[str]:
    """dbt-bouncer with the project's config on this manifest (its paths are relative to dbt/)."""
    if not BOUNCER.exists():
        raise RuntimeError(f"{BOUNCER} is missing: `make test` installs dbt-bouncer in its own environment")
    artifacts = workdir / "target"
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "manifest.json").write_text(json.dumps(manifest))
    config = yaml.safe_load((DBT_PROJECT_DIR / "dbt-bouncer.yml").read_text())
    config["dbt_artifacts_dir"] = str(artifacts)
    config_file = workdir / "dbt-bouncer.yml"
    config_file.write_text(yaml.safe_dump(config))
    return subprocess.run(
        [str(BOUNCER), "run", "--config-file", str(config_file), "--output-only-failures"],
        capture_output=True,
        text=True,
        check=False,
        cwd=DBT_PROJECT_DIR,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "NO_COLOR": "1"},
    )


def _model(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    return next(
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"] == name
    )


def test_the_project_keeps_its_conventions(manifest: dict[str, Any], tmp_path: Path) -> None:
    result = _bouncer(manifest, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "All checks passed" in result.stdout


# Each breaks one rule the way a careless change would; dbt-bouncer must name that rule.
def _mart_reads_a_source(manifest: dict[str, Any]) -> None:
    _model(manifest, "monthly_revenue")["depends_on"]["nodes"].append("source.c360.raw_shop.customers")


def _misnamed_staging_model(manifest: dict[str, Any]) -> None:
    _model(manifest, "stg_shop__products")["name"] = "shop_products_clean"


def _undescribed_column(manifest: dict[str, Any]) -> None:
    _model(manifest, "churn_risk")["columns"]["churn_band"]["description"] = ""


def _mart_with_raw_email(manifest: dict[str, Any]) -> None:
    columns = _model(manifest, "dim_customers")["columns"]
    columns["email"] = {**columns["email_hash"], "name": "email"}


def _mart_without_contract(manifest: dict[str, Any]) -> None:
    model = _model(manifest, "geo_revenue")
    model["config"]["contract"]["enforced"] = model["contract"]["enforced"] = False


def _untagged_source_pii(manifest: dict[str, Any]) -> None:
    source = next(node for node in manifest["sources"].values() if node["name"] == "customers")
    source["columns"]["phone"]["meta"] = {}
    source["columns"]["phone"]["config"]["meta"] = {}


def _intermediate_reads_a_mart(manifest: dict[str, Any]) -> None:
    _model(manifest, "int_customer_orders_summarized")["depends_on"]["nodes"].append(
        "model.c360.fct_order_lines"
    )


BROKEN = {
    "check_lineage_source_cannot_be_used": _mart_reads_a_source,
    "check_lineage_permitted_upstream_models": _intermediate_reads_a_mart,
    "check_model_names": _misnamed_staging_model,
    "check_model_column_description_populated": _undescribed_column,
    "check_model_column_names": _mart_with_raw_email,
    "check_model_contract_enforced_for_public_model": _mart_without_contract,
    "check_source_pii_meta": _untagged_source_pii,
}


@pytest.mark.parametrize("rule", list(BROKEN))
def test_a_broken_convention_fails_and_is_named(manifest: dict[str, Any], tmp_path: Path, rule: str) -> None:
    broken = copy.deepcopy(manifest)
    BROKEN[rule](broken)
    result = _bouncer(broken, tmp_path)
    assert result.returncode != 0
    assert rule in result.stdout


# --- what dbt-bouncer cannot express ------------------------------------------------------------


def test_every_unique_key_is_also_not_null(manifest: dict[str, Any]) -> None:
    tested: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("attached_node") and node.get("test_metadata"):
            tested.setdefault(node["attached_node"], set()).add(
                f"{node['test_metadata']['name']}:{node.get('column_name')}"
            )
    for node_id, tests in tested.items():
        for entry in tests:
            if entry.startswith("unique:"):
                column = entry.split(":", 1)[1]
                assert f"not_null:{column}" in tests, f"{node_id}: {column} is tested unique but not not_null"


def _personal_column_names() -> set[str]:
    """Columns of personal data: a contract's `x-pii` columns and their raw-text copies."""
    names = {name for entity in ENTITIES for name in contract(entity).pii_columns}
    return names | {f"{name}_text" for name in names}


def test_personal_data_is_tagged_pii_in_every_model_that_carries_it(manifest: dict[str, Any]) -> None:
    personal = _personal_column_names()
    assert {"email", "phone", "first_name", "last_name", "birth_date"} <= personal
    untagged = [
        f"{node['name']}.{column['name']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for column in node["columns"].values()
        if column["name"] in personal
        and not (column.get("config", {}).get("meta") or column.get("meta", {})).get("pii")
    ]
    assert untagged == []
    # ... and it reaches the marts only hashed, except customer_360's lookup e-mail.
    dim = _model(manifest, "dim_customers")["columns"]
    assert "email_hash" in dim and "phone_hash" in dim and "email" not in dim and "phone" not in dim
    assert re.search(r"c360_pii_hash\('(versions\.)?email'\)", _model(manifest, "dim_customers")["raw_code"])


def test_every_name_a_relation_is_made_of_fits_postgres_and_redshift(manifest: dict[str, Any]) -> None:
    """dbt makes a relation of each model and unit test by its name; PostgreSQL refuses a
    name over 63 bytes (Redshift's limit, 127, is looser), so a long one fails only there."""
    too_long = [
        node["name"]
        for node in [*manifest["nodes"].values(), *manifest.get("unit_tests", {}).values()]
        if node["resource_type"] in ("model", "unit_test", "seed") and len(node["name"].encode()) > 63
    ]
    assert too_long == []
