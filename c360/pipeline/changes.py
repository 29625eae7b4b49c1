"""What changed since the last published run: the lake files and the dbt project a build reads.

A run whose fingerprints equal those of the last published run (for the same target and
warehouse) has nothing new to build; on DuckDB, a run where only some sources' files
changed rebuilds only what reads them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from c360.pipeline.context import RunContext
from c360.pipeline.document import RUNS_PREFIX, step_output
from c360.settings import DBT_PROJECT_DIR
from c360.warehouse.publish import GREEN, PUBLISHED_PREFIX, last_record
from loaders.contracts import ENTITIES, contract
from loaders.lake.indexes import indexed_objects
from loaders.lake.layout import COMPACTED_EVENTS, RUNS_INDEX, raw_prefix

# What the no-op check compares with the lake files dbt reads: the project that reads them.
PROJECT_FILES = ("dbt_project.yml", "models", "macros", "seeds", "tests")


def fingerprints(ctx: RunContext) -> dict[str, Any]:
    """Digests of what a build reads: per dbt source, the list of its lake files (raw, and
    compacted for events); the dbt project's files with the target, the warehouse and the
    run's dbt arguments (a run as of another day is not "nothing new"); and one over all."""
    sources = {}
    for entity in ENTITIES:
        prefixes = [raw_prefix(entity)] + ([COMPACTED_EVENTS + "/"] if entity == "events" else [])
        digest = hashlib.sha256()
        for prefix in prefixes:
            for key in ctx.lake.list_keys(prefix):
                digest.update(f"{key}\n".encode())
        sources[f"{contract(entity).source}.{entity}"] = digest.hexdigest()
    project = hashlib.sha256(f"{ctx.settings.target}\n{ctx.settings.warehouse_identity()}\n".encode())
    project.update(json.dumps(ctx.dbt_args).encode())  # e.g. --vars as_of_date
    for name in PROJECT_FILES:
        path = DBT_PROJECT_DIR / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                project.update(f"{file.relative_to(DBT_PROJECT_DIR)}\n".encode())
                project.update(hashlib.sha256(file.read_bytes()).digest())
    parts = {"project": project.hexdigest(), "sources": sources}
    overall = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return {"all": overall, **parts}


def changed_sources(
    ctx: RunContext, previous: dict[str, Any] | None, current: dict[str, Any]
) -> list[str] | None:
    """The sources whose files changed since the previous published run, when only they
    need rebuilding: on DuckDB, whose warehouse file still holds that run's build, with the
    same dbt project. None means build everything (and always on PostgreSQL and Redshift,
    whose audit schemas start empty)."""
    if previous is None or ctx.settings.target != "local" or ctx.document.get("full_refresh"):
        return None
    before = step_output(previous, "freshness").get("fingerprints") or {}
    record = last_record(ctx.settings)
    if before.get("project") != current["project"] or record is None or record.status != GREEN:
        return None
    return sorted(
        name for name, digest in current["sources"].items() if before.get("sources", {}).get(name) != digest
    )


def previous_runs(ctx: RunContext) -> list[dict[str, Any]]:
    """Every run document in the lake, oldest first: through the runs index (a run document
    is written once, at the end of its run), so hourly runs cost one read, not one per run."""
    found = indexed_objects(ctx.lake, RUNS_PREFIX, RUNS_INDEX, lambda key: key.endswith(".json"))
    return [found[key] for key in sorted(found)]


def published_key(ctx: RunContext) -> str:
    return f"{PUBLISHED_PREFIX}{ctx.settings.target}-{ctx.settings.warehouse_identity()}.json"


def last_published_run(ctx: RunContext) -> dict[str, Any] | None:
    """The newest run document in the lake that published, for this target and warehouse:
    the copy ``report`` keeps of it (one read), or else the newest such in ``_runs/``."""
    if ctx.lake.exists(published_key(ctx)):
        return json.loads(ctx.lake.get_bytes(published_key(ctx)))  # type: ignore[no-any-return]
    for key in sorted(ctx.lake.list_keys(RUNS_PREFIX), reverse=True):
        document = json.loads(ctx.lake.get_bytes(key))
        if (
            document.get("status") == "published"
            and document.get("target") == ctx.settings.target
            and document.get("warehouse") == ctx.settings.warehouse_identity()
        ):
            return document  # type: ignore[no-any-return]
    return None


def still_published(ctx: RunContext) -> bool:
    """Whether what the last published run published is still what readers get."""
    record = last_record(ctx.settings)
    if ctx.settings.target == "local":
        return ctx.settings.published.exists() and record is not None and record.status == GREEN
    return record is not None and record.status == "published"
