"""`c360 review`: what a change to the dbt project does to the data, before it ships.

In progress (DuckDB only so far). A review builds the models the change touches and their
children (``state:modified+`` against dbt's manifest of the published build, which publish
keeps in the lake) into a scratch copy of the published warehouse, runs their tests and
unit tests, and diffs each rebuilt model against its published table by primary key
(``c360.warehouse.data_diff``). The published warehouse is only ever read.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from c360.settings import DBT_PROJECT_DIR, Settings
from c360.warehouse.data_diff import ModelDiff, diff_relations
from c360.warehouse.dbt import BuildFailedError, list_nodes, run_dbt
from c360.warehouse.locking import WarehouseBusyError, command_line, warehouse_lock
from c360.warehouse.publish import published_manifest_key
from loaders.lake.storage import open_lake


class ReviewError(RuntimeError):
    """The review could not run (exit 2): no published build to compare with, a project
    that does not compile, the warehouse held by a run."""


@dataclass
class ReviewResult:
    rebuilt: list[str] = field(default_factory=list)
    models: list[ModelDiff] = field(default_factory=list)
    tests: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_json(self) -> dict[str, Any]:
        return {
            "models": [model.as_json() for model in self.models],
            "rebuilt": self.rebuilt,
            "tests": self.tests,
            "failures": self.failures,
        }


def published_manifest(settings: Settings) -> dict[str, Any]:
    """dbt's manifest of the published build (kept by publish in the lake)."""
    key = published_manifest_key(settings)
    lake = open_lake(settings.lake)
    if not lake.exists(key):
        raise ReviewError(
            f"the published warehouse has no manifest in the lake ({key}); run `c360 run` to publish one"
        )
    loaded: dict[str, Any] = json.loads(lake.get_bytes(key))
    return loaded


@contextmanager
def _dbt_target(path: Path) -> Iterator[None]:
    """dbt's artefacts of the review in ``path``, not in the project's target."""
    before = os.environ.get("DBT_TARGET_PATH")
    os.environ["DBT_TARGET_PATH"] = str(path)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("DBT_TARGET_PATH", None)
        else:
            os.environ["DBT_TARGET_PATH"] = before


def review(
    settings: Settings, project_dir: Path = DBT_PROJECT_DIR, say: Callable[[str], None] = print
) -> ReviewResult:
    """Build the change beside the published warehouse and diff what it rebuilt."""
    if settings.target != "local":
        raise ReviewError(f"c360 review runs on the local target so far, not {settings.target}")
    state = published_manifest(settings)
    published = Path(settings.published)
    if not published.exists():
        raise ReviewError(f"{published}: nothing published yet; run `c360 run` first")
    with tempfile.TemporaryDirectory(prefix="c360-review-") as scratch_dir:
        scratch = Path(scratch_dir)
        (scratch / "state").mkdir()
        (scratch / "state" / "manifest.json").write_text(json.dumps(state), "utf-8")
        copy = scratch / "warehouse" / settings.warehouse.name
        copy.parent.mkdir()
        try:
            with warehouse_lock(settings, command_line(), timeout=0):
                shutil.copy2(published, copy)
        except WarehouseBusyError as exc:
            raise ReviewError(str(exc)) from None
        reviewing = replace(settings, warehouse=copy)
        with _dbt_target(scratch / "target"):
            # What the change modified: models, seeds and snapshots. Not sources: their
            # definitions name the lake's path, which differs between a laptop, CI and
            # production, and a change to them is a change of the contracts.
            try:
                modified = list_nodes(
                    reviewing,
                    [
                        "--select",
                        "state:modified",
                        "--state",
                        str(scratch / "state"),
                        "--resource-type",
                        "model",
                        "--resource-type",
                        "seed",
                        "--resource-type",
                        "snapshot",
                    ],
                    project_dir,
                )
            except BuildFailedError as exc:
                raise ReviewError(f"the change does not compile: {exc}") from None
            if not modified:
                say("nothing to review: no model, seed or snapshot differs from the published build")
                return ReviewResult()
            selection = [f"{node.rsplit('.', 1)[-1]}+" for node in modified]  # each, and its children
            built = run_dbt(reviewing, ["build", "--select", *selection], project_dir)
            manifest_path = scratch / "target" / "manifest.json"
            if not manifest_path.exists():
                raise ReviewError(f"the change does not compile: {built.describe_failure()}")
        result = ReviewResult(tests=dict(built.statuses))
        result.rebuilt = sorted(node.split(".")[-1] for node in built.built if node.startswith("model."))
        if not built.ok:
            result.failures = built.failures or [built.describe_failure()]
            if not result.rebuilt and not built.failures:
                raise ReviewError(built.describe_failure())
        manifest = json.loads(manifest_path.read_text("utf-8"))
        with duckdb.connect(str(copy), read_only=True) as connection:
            quoted = str(published).replace("'", "''")
            connection.execute(f"attach '{quoted}' as published (read_only)")
            for name in result.rebuilt:
                result.models.append(_diff_model(connection, manifest, name, copy.stem))
    return result


def primary_key(manifest: dict[str, Any], model_id: str) -> list[str]:
    """The model's primary key: the column of its `unique` test, or the columns of its
    `unique_combination_of_columns` test."""
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or model_id not in node["depends_on"]["nodes"]:
            continue
        metadata = node.get("test_metadata") or {}
        kwargs = metadata.get("kwargs") or {}
        if metadata.get("name") == "unique" and kwargs.get("column_name"):
            return [str(kwargs["column_name"])]
        if metadata.get("name") == "unique_combination_of_columns":
            columns = kwargs.get("combination_of_columns") or (kwargs.get("arguments") or {}).get(
                "combination_of_columns"
            )
            if columns:
                return [str(column) for column in columns]
    raise ReviewError(f"{model_id}: no uniqueness test names its primary key")


def _columns(connection: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> dict[str, str]:
    rows = connection.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()
    return {str(name): str(data_type) for name, data_type in rows}


def _diff_model(
    connection: duckdb.DuckDBPyConnection, manifest: dict[str, Any], name: str, catalog: str
) -> ModelDiff:
    model_id, node = next(
        (unique_id, node)
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["name"] == name
    )
    schema, table = node["schema"], node["alias"]
    rebuilt_columns = _columns(connection, catalog, schema, table)
    published_columns = _columns(connection, "published", schema, table)
    if not published_columns:  # a new model: every row is added
        ((rows,),) = connection.execute(f'select count(*) from "{catalog}"."{schema}"."{table}"').fetchall()
        return ModelDiff(name, [], added=int(rows), schema_changes=["new model"])
    return diff_relations(
        lambda sql: connection.execute(sql).fetchall(),
        name,
        f'published."{schema}"."{table}"',
        f'"{catalog}"."{schema}"."{table}"',
        primary_key(manifest, model_id),
        published_columns,
        rebuilt_columns,
    )


def markdown(result: ReviewResult) -> str:
    """The review as Markdown, for a pull-request comment."""
    lines = ["## c360 review", ""]
    if not result.rebuilt and result.passed:
        return "\n".join(
            [*lines, "Nothing to review: no model, seed or snapshot differs from the published build.", ""]
        )
    verdict = "passed" if result.passed else "failed"
    tests = ", ".join(f"{count} {status}" for status, count in sorted(result.tests.items()))
    lines += [f"Built {len(result.rebuilt)} model(s); tests {verdict} ({tests}).", ""]
    lines += [f"- {failure}" for failure in result.failures]
    lines += [
        "",
        "| model | added | removed | changed | changed columns | schema |",
        "|---|---|---|---|---|---|",
    ]
    for model in result.models:
        columns = ", ".join(
            f"{column} {count} (e.g. {', '.join(model.examples.get(column, []))})"
            for column, count in model.changed_columns.items()
        )
        schema = "; ".join(model.schema_changes)
        counts = f"{model.added} | {model.removed} | {model.changed}"
        lines.append(f"| {model.name} | {counts} | {columns or '-'} | {schema or '-'} |")
    return "\n".join([*lines, ""])
