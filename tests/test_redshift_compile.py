"""`dbt compile --target redshift` works offline, and every model and analysis compiles to Redshift SQL.

Redshift cannot be reached from CI, so the project is compiled without a connection
(`--no-populate-cache`; `c360_is_incremental()` told which branch to render through the
var `c360_assume_incremental`), and each compiled model and analysis is parsed with
sqlfluff's redshift dialect.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import redshift_parse_errors

from c360.dbt_runner import run_dbt
from c360.settings import Settings

pytestmark = pytest.mark.dbt


def _compile(
    tmp_path: Path, incremental: bool, monkeypatch: pytest.MonkeyPatch
) -> dict[str, dict[str, object]]:
    settings = Settings.resolve(lake=tmp_path / "lake", target="redshift")
    monkeypatch.delenv("C360_PII_SALT", raising=False)
    with pytest.raises(ValueError, match="C360_PII_SALT is not set"):
        settings.pii_salt()  # production hashes need a salt that outlives the build machine
    monkeypatch.setenv("C360_PII_SALT", "pepper")
    target_path = tmp_path / "target"
    result = run_dbt(
        settings,
        [
            "compile",
            "--no-populate-cache",
            "--vars",
            json.dumps({"c360_assume_incremental": incremental}),
            "--target-path",
            str(target_path),
        ],
    )
    assert result.ok
    manifest = json.loads((target_path / "manifest.json").read_text("utf-8"))
    # Models, and the analyses (analyses/: Redshift health queries, analyst questions).
    return {
        node_id: node
        for node_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "analysis")
    }


@pytest.mark.parametrize("incremental", [False, True], ids=["first-build", "incremental"])
def test_every_model_compiles_offline_to_redshift_sql(
    tmp_path: Path, incremental: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    nodes = _compile(tmp_path, incremental, monkeypatch)
    assert len(nodes) > 20
    analyses = {node["name"] for node in nodes.values() if node["resource_type"] == "analysis"}
    assert {"vacuum_candidates", "analyze_candidates", "unsorted_share", "distribution_skew"} <= analyses
    assert len([name for name in analyses if name[:2].isdigit()]) == 5  # the analyst questions
    vacuum = str(nodes["analysis.c360.vacuum_candidates"]["compiled_code"])
    assert "'analytics', 'core', 'customer', 'intermediate', 'staging'" in vacuum
    failures = {
        node_id: errors
        for node_id, node in nodes.items()
        if (errors := redshift_parse_errors(str(node["compiled_code"])))
    }
    assert failures == {}

    # Redshift's own SQL was chosen by dispatch, and the incremental branch follows the var.
    staged = str(nodes["model.c360.base_shop__customers"]["compiled_code"])
    assert "try_cast(nullif(trim(" in staged and '"$path" as _source_file' in staged
    events = str(nodes["model.c360.fct_events"]["compiled_code"])
    assert ("_landed_at >= (" in events) is incremental
    assert nodes["model.c360.fct_events"]["config"]["incremental_strategy"] == "merge"  # type: ignore[index]
    assert nodes["model.c360.fct_events"]["config"]["dist"] == "anonymous_id"  # type: ignore[index]
    assert nodes["model.c360.stg_web__events"]["config"]["bind"] is False  # type: ignore[index]
    # Contact details are hashed with Redshift's sha2 and the salt from the environment; the
    # analyst role may select the marts and nothing before them.
    customers = str(nodes["model.c360.dim_customers"]["compiled_code"])
    assert "sha2('pepper' || email, 256)" in customers
    for node in nodes.values():
        if node["resource_type"] != "model":
            continue
        grants = node["config"]["grants"]  # type: ignore[index]
        expected = {"select": ["role:c360_analyst"]} if str(node["path"]).startswith("marts/") else {}
        assert grants == expected, node["name"]
    # A bare varchar is varchar(256) on Redshift: contracts ask for the longest.
    assert nodes["model.c360.fct_events"]["columns"]["page_url"]["data_type"] == "varchar(65535)"  # type: ignore[index]


def test_the_parse_check_catches_sql_redshift_refuses() -> None:
    # `snapshot` is a reserved word in Redshift: a CTE of that name once passed DuckDB.
    assert redshift_parse_errors("with snapshot as (select 1 as one) select * from snapshot")
