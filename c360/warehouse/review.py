"""`c360 review`: what a change to the dbt project does to the data, before it ships.

A review compares the project as it is now with dbt's manifest of the published build,
which publishing keeps in the lake (``published_manifest_key``). It builds what the change
modified (models, seeds, snapshots: ``state:modified``) and everything below it, runs their
tests and unit tests, and diffs each rebuilt relation against its published one by primary
key (``c360.warehouse.data_diff``). The published warehouse is only ever read:

- DuckDB: the review builds into a scratch copy of the published file (taken under the
  warehouse lock), with ``--full-refresh``, so an incremental model shows what its new
  code makes of all the data, not of the rows since the last build.
- PostgreSQL and Redshift: every layer builds into ``<schema>__review_<name>`` (or
  ``<schema>__review`` with no name; var ``c360_review``, see ``c360_schema``), and what the
  change did not touch is read from the published schemas (``--defer`` to the published
  manifest). The review schemas are dropped before the build and after the diff.

The outcome: nothing to review; passed (exit 0, whatever the data did); failed (exit 1: a
test, a unit test or a contract); or an error (exit 2, ``ReviewError`` or ``errors``: the
project does not parse, a model does not build, the warehouse is busy, nothing published).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from c360.settings import DBT_PROJECT_DIR, Settings
from c360.warehouse.access import warehouse_reader
from c360.warehouse.data_diff import ModelDiff, Query, diff_relations
from c360.warehouse.dbt import BuildFailedError, DbtResult, list_nodes, run_dbt
from c360.warehouse.locking import WarehouseBusyError, command_line, warehouse_lock
from c360.warehouse.publish import published_manifest_key
from c360.warehouse.sources import lake_for

# A review's name tells concurrent reviews of one server apart (CI: the pull request's
# number); its schemas are `<schema>__review_<name>`, or `<schema>__review` without one.
REVIEW_NAME = re.compile(r"[a-z0-9_]{1,40}")
# What has a relation a change can modify (sources are the contracts' business: their
# definitions name the lake's path, which differs between a laptop, CI and production).
REVIEWED_TYPES = ("model", "seed", "snapshot")
# dbt's message for a model whose columns break its enforced contract.
CONTRACT_FAILED = "enforced contract"


class ReviewError(RuntimeError):
    """The review could not run (exit 2): no published build to compare with, a project
    that does not parse, the warehouse held by a run."""


@dataclass
class ReviewResult:
    rebuilt: list[str] = field(default_factory=list)
    models: list[ModelDiff] = field(default_factory=list)
    tests: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # tests, unit tests, contracts: exit 1
    errors: list[str] = field(default_factory=list)  # what did not build: exit 2

    @property
    def passed(self) -> bool:
        return not self.failures and not self.errors

    @property
    def exit_code(self) -> int:
        return 2 if self.errors else 1 if self.failures else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "models": [model.as_json() for model in self.models],
            "rebuilt": self.rebuilt,
            "tests": self.tests,
            "failures": self.failures,
            "errors": self.errors,
        }


def published_manifest(settings: Settings) -> dict[str, Any]:
    """dbt's manifest of the published build (kept by publish in the lake)."""
    key = published_manifest_key(settings)
    lake = lake_for(settings)
    if not lake.exists(key):
        raise ReviewError(
            f"the published warehouse has no manifest in the lake ({key}); run `c360 run` to publish one"
        )
    loaded: dict[str, Any] = json.loads(lake.get_bytes(key))
    return loaded


def review_vars(name: str = "") -> list[str]:
    """The dbt vars of a review's calls on a server (``c360_review``: its name, or true)."""
    if name and not REVIEW_NAME.fullmatch(name):
        raise ReviewError(f"{name!r}: a review's name is 1 to 40 of a-z, 0-9 and _ (e.g. pr_123)")
    return ["--vars", json.dumps({"c360_review": name or True})]


def review(
    settings: Settings,
    project_dir: Path = DBT_PROJECT_DIR,
    say: Callable[[str], None] = print,
    name: str = "",
) -> ReviewResult:
    """Build the change beside the published warehouse and diff what it rebuilt. ``name``
    (a server): the review's schemas are ``<schema>__review_<name>``."""
    vars_ = review_vars(name) if settings.target != "local" else []
    state = published_manifest(settings)
    with tempfile.TemporaryDirectory(prefix="c360-review-") as scratch_dir:
        scratch = Path(scratch_dir)
        state_dir = scratch / "state"
        state_dir.mkdir()
        (state_dir / "manifest.json").write_text(json.dumps(state), "utf-8")
        target = scratch / "target"  # dbt's artefacts of the review, not the project's
        with _review_warehouse(settings, scratch) as reviewing:
            on_server = settings.target != "local"
            try:
                modified = list_nodes(
                    reviewing,
                    [
                        "--select",
                        "state:modified",
                        "--state",
                        str(state_dir),
                        *(arg for kind in REVIEWED_TYPES for arg in ("--resource-type", kind)),
                        *vars_,
                    ],
                    project_dir,
                    target_path=target,
                )
            except BuildFailedError as exc:
                raise ReviewError(f"the change does not parse: {exc}") from None
            current = json.loads((target / "manifest.json").read_text("utf-8"))
            removed = [
                node
                for unique_id, node in state["nodes"].items()
                if node["resource_type"] in REVIEWED_TYPES and unique_id not in current["nodes"]
            ]
            if not modified and not removed:
                say("nothing to review: no model, seed or snapshot differs from the published build")
                return ReviewResult()
            result = ReviewResult()
            with _review_schemas(reviewing, project_dir, target, vars_):
                if modified:
                    # Each modified node by name, and its children; on a server, what is
                    # not built here is read from the published schemas.
                    selection = [f"{node.rsplit('.', 1)[-1]}+" for node in modified]
                    extra = ["--full-refresh"]
                    if on_server:
                        extra = ["--defer", "--state", str(state_dir), *vars_]
                    built = run_dbt(
                        reviewing, ["build", "--select", *selection, *extra], project_dir, target_path=target
                    )
                    _judge(result, built)
                    current = json.loads((target / "manifest.json").read_text("utf-8"))
                with _diff_query(settings, reviewing) as query:
                    for rebuilt in result.rebuilt:
                        result.models.append(_diff_node(query, settings, reviewing, state, current, rebuilt))
                    for node in removed:
                        result.models.append(_removed(query, settings, node))
    return result


def _judge(result: ReviewResult, built: DbtResult) -> None:
    """What the review's build says: the relations it made, its tests, and what failed
    (a test, a unit test or a contract) or could not build (anything else)."""
    result.tests = dict(built.statuses)
    result.rebuilt = sorted(
        node.split(".")[-1] for node in built.built if node.split(".")[0] in REVIEWED_TYPES
    )
    if built.ok:
        return
    if not built.failures:
        raise ReviewError(f"the change does not build: {built.describe_failure()}")
    for failure in built.failures:
        kind = failure.split(" ", 1)[0]
        if kind in REVIEWED_TYPES and CONTRACT_FAILED not in failure:
            result.errors.append(failure)
        else:
            result.failures.append(failure)


@contextmanager
def _review_warehouse(settings: Settings, scratch: Path) -> Iterator[Settings]:
    """The settings a review builds with, once no run holds the warehouse lock. DuckDB: a
    scratch copy of the published file, copied under the lock. A server: the same
    warehouse (the review's schemas are its own, ``_review_schemas``)."""
    copy = scratch / "warehouse" / settings.warehouse.name
    try:
        with warehouse_lock(settings, command_line(), timeout=0):
            if settings.target == "local":
                published = Path(settings.published)
                if not published.exists():
                    raise ReviewError(f"{published}: nothing published yet; run `c360 run` first")
                copy.parent.mkdir()
                shutil.copy2(published, copy)
    except WarehouseBusyError as exc:
        raise ReviewError(str(exc)) from None
    yield replace(settings, warehouse=copy) if settings.target == "local" else settings


@contextmanager
def _review_schemas(settings: Settings, project_dir: Path, target: Path, vars_: list[str]) -> Iterator[None]:
    """On a server, the review schemas dropped before the review's build and after its
    diff: a review starts from nothing (dbt's --defer reads a parent from the published
    schemas only where the review has no relation of its own) and leaves nothing behind."""
    if settings.target == "local":
        yield
        return

    def drop() -> None:
        operation = ["run-operation", "c360_drop_review_schemas", *vars_]
        dropped = run_dbt(settings, operation, project_dir, target_path=target)
        if not dropped.ok:
            raise ReviewError(f"dropping the review schemas failed: {dropped.describe_failure()}")

    drop()
    try:
        yield
    finally:
        drop()


@contextmanager
def _diff_query(settings: Settings, reviewing: Settings) -> Iterator[Query]:
    """One connection that reads the published and the rebuilt relations: on DuckDB the
    scratch copy with the published file attached as ``published``; a server as it is."""
    if settings.target == "local":
        with duckdb.connect(str(reviewing.warehouse), read_only=True) as connection:
            quoted = str(settings.published).replace("'", "''")
            connection.execute(f"attach '{quoted}' as published (read_only)")
            yield lambda sql: connection.execute(sql).fetchall()
        return
    with warehouse_reader(settings) as query:
        assert query is not None  # a server is always there to read
        yield lambda sql: [tuple(row.values()) for row in query(sql)]


Relation = tuple[str, ...]  # (catalog,) schema, table


def _relation(settings: Settings, reviewing: Settings, node: dict[str, Any], published: bool) -> Relation:
    """A node's relation, published or the review's: on DuckDB in the published file
    (attached as ``published``) or the scratch copy; on a server, its schema."""
    if settings.target == "local":
        return ("published" if published else reviewing.warehouse.stem, node["schema"], node["alias"])
    return (node["schema"], node["alias"])


def _sql(relation: Relation) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in relation)


def _columns(query: Query, relation: Relation) -> dict[str, str]:
    """The relation's columns and their types, in order ({} when it does not exist)."""
    *catalog, schema, table = relation
    where = f"table_schema = {_literal(schema)} and table_name = {_literal(table)}"
    if catalog:
        where += f" and table_catalog = {_literal(catalog[0])}"
    rows = query(
        "select column_name, data_type from information_schema.columns"
        f" where {where} order by ordinal_position"
    )
    return {str(name): str(data_type) for name, data_type in rows}


def _node(manifest: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    return next(
        (unique_id, node)
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in REVIEWED_TYPES and node["name"] == name
    )


def _diff_node(
    query: Query,
    settings: Settings,
    reviewing: Settings,
    state: dict[str, Any],
    current: dict[str, Any],
    name: str,
) -> ModelDiff:
    unique_id, node = _node(current, name)
    rebuilt = _relation(settings, reviewing, node, published=False)
    rebuilt_columns = _columns(query, rebuilt)
    before = state["nodes"].get(unique_id)
    published = _relation(settings, reviewing, before, published=True) if before else None
    published_columns = _columns(query, published) if published else {}
    if published is None or not published_columns:  # a new model: every row is added
        ((rows,),) = query(f"select count(*) from {_sql(rebuilt)}")
        return ModelDiff(name, [], added=int(rows), schema_changes=["new model"])
    key = primary_key(current, unique_id)
    if any(column not in published_columns or column not in rebuilt_columns for column in key):
        key = []  # the key itself was renamed or removed: compare whole rows
    return diff_relations(
        query, name, _sql(published), _sql(rebuilt), key, published_columns, rebuilt_columns
    )


def _removed(query: Query, settings: Settings, node: dict[str, Any]) -> ModelDiff:
    """A model (seed, snapshot) the change deleted: all its published rows go."""
    published = _relation(settings, settings, node, published=True)
    rows = 0
    if _columns(query, published):
        ((rows,),) = query(f"select count(*) from {_sql(published)}")
    return ModelDiff(node["name"], [], removed=int(rows), schema_changes=[f"{node['resource_type']} removed"])


def primary_key(manifest: dict[str, Any], unique_id: str) -> list[str]:
    """The node's primary key: the column of its `unique` test, the columns of its
    `unique_combination_of_columns` test, or its contract's primary_key constraint; []
    when it has none (the raw layers: compared row by row)."""
    node = manifest["nodes"][unique_id]
    for constraint in node.get("constraints") or []:
        if constraint.get("type") == "primary_key" and constraint.get("columns"):
            return [str(column) for column in constraint["columns"]]
    for column in (node.get("columns") or {}).values():
        if any(constraint.get("type") == "primary_key" for constraint in column.get("constraints") or []):
            return [str(column["name"])]
    for test in manifest["nodes"].values():
        if test["resource_type"] != "test" or test.get("attached_node") != unique_id:
            continue
        metadata = test.get("test_metadata") or {}
        kwargs = metadata.get("kwargs") or {}
        if metadata.get("name") == "unique" and kwargs.get("column_name"):
            return [str(kwargs["column_name"])]
        if metadata.get("name") == "unique_combination_of_columns":
            columns = kwargs.get("combination_of_columns") or (kwargs.get("arguments") or {}).get(
                "combination_of_columns"
            )
            if columns:
                return [str(column) for column in columns]
    return []


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def markdown(result: ReviewResult) -> str:
    """The review as Markdown, for a pull-request comment."""
    lines = ["## c360 review", ""]
    if not result.rebuilt and not result.models and result.passed:
        return "\n".join(
            [*lines, "Nothing to review: no model, seed or snapshot differs from the published build.", ""]
        )
    verdict = "could not build" if result.errors else "failed" if result.failures else "passed"
    tests = ", ".join(f"{count} {status}" for status, count in sorted(result.tests.items()))
    lines += [f"Rebuilt {len(result.rebuilt)} model(s); the build {verdict} ({tests or 'nothing ran'}).", ""]
    if result.errors or result.failures:
        lines += [*(f"- {failure}" for failure in [*result.errors, *result.failures]), ""]
    lines += [
        "| model | key | added | removed | changed | changed columns (e.g. keys) | schema |",
        "|---|---|---|---|---|---|---|",
    ]
    for model in result.models:
        columns = ", ".join(
            f"{column} {count} (e.g. {', '.join(model.examples.get(column, []))})"
            for column, count in model.changed_columns.items()
        )
        key = ", ".join(model.key) or "whole row"
        schema = "; ".join(model.schema_changes)
        counts = f"{model.added} | {model.removed} | {model.changed}"
        lines.append(
            f"| {model.name} | {key} | {counts} | {_cell(columns) or '-'} | {_cell(schema) or '-'} |"
        )
    return "\n".join([*lines, ""])


def _cell(text: str) -> str:
    """Text for a Markdown table cell: a composite key's ``|`` would end the cell."""
    return text.replace("|", "\\|")


def markdown_error(cause: str) -> str:
    """A review that could not run, as Markdown."""
    return f"## c360 review\n\nThe change could not be reviewed: {cause}\n"
