"""``c360 redshift check``: a smoke test of a real cluster, right after ``terraform apply``.

Against the cluster of the ``C360_REDSHIFT_*`` variables and a bucket the user names (the
lake bucket: the sample lands under its ``c360-check/`` prefix, which terraform's Spectrum
role may read), under schemas of its own (``C360_SCHEMA_PREFIX``, a fresh
``c360_check_<id>_`` by default), it runs every stage a production run does on a tiny
sample, then takes away what it made:

    land -> spectrum -> build -> audit -> publish -> read -> drop

one line per stage. Nothing it touches is shared with production: the sample lands under
its own S3 prefix, Spectrum's schemas and Glue databases carry the prefix, and so does
every schema dbt builds. ``--keep`` leaves everything in place to look at.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from c360.pipeline.accounts import accounts, unbalanced
from c360.pipeline.context import RunContext
from c360.pipeline.document import new_run_document
from c360.settings import Settings
from c360.warehouse.access import warehouse_reader
from c360.warehouse.build import build_audit
from c360.warehouse.publish import publish_warehouse
from c360.warehouse.readers import failing_tests
from c360.warehouse.sources import lake_for, register_spectrum
from config import connections
from loaders.generator import generate
from loaders.landing.batch_upload import land

CHECK_SCALE = 0.005
CHECK_SEED = 20
STAGES = ("land", "spectrum", "build", "audit", "publish", "read", "drop")
PUBLISHED = ("core", "analytics", "customer")


class RedshiftCheckError(RuntimeError):
    """A stage of the check failed; the message names it and its first error line."""


@dataclass
class StageResult:
    stage: str
    status: str  # "ok", "failed" or "skipped"
    seconds: float
    detail: str


@dataclass
class CheckReport:
    lake: str
    schema_prefix: str
    stages: list[StageResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(stage.status != "failed" for stage in self.stages)


def new_prefix() -> str:
    return f"c360_check_{secrets.token_hex(3)}_"


def check(
    bucket: str,
    settings: Settings,
    keep: bool = False,
    say: Callable[[StageResult], None] = lambda _stage: None,
) -> CheckReport:
    """Run the stages in order; the first that fails stops the others, but ``drop`` still
    runs (unless ``keep``). The settings' schema prefix names everything made."""
    prefix = settings.schema_prefix or new_prefix()
    # Under c360-check/ of the bucket: the Spectrum role of terraform/ may read it there.
    lake_uri = f"s3://{bucket.removeprefix('s3://').strip('/')}/c360-check/{prefix.rstrip('_')}"
    work = replace(settings, lake=lake_uri, target="redshift", prefix=prefix)
    report = CheckReport(lake_uri, prefix)

    def stage(name: str, run: Callable[[], str]) -> None:
        started = time.perf_counter()
        try:
            detail, status = run(), "ok"
        except Exception as exc:  # every failure becomes the stage's line
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            detail, status = (lines[0] if lines else type(exc).__name__), "failed"
        result = StageResult(name, status, round(time.perf_counter() - started, 1), detail)
        report.stages.append(result)
        say(result)

    with tempfile.TemporaryDirectory(prefix="c360-check-") as scratch:
        work = replace(work, warehouse=Path(scratch) / "warehouse" / "check.duckdb")
        steps: list[tuple[str, Callable[[], str]]] = [
            ("land", lambda: _land(work, Path(scratch) / "sample")),
            ("spectrum", lambda: _spectrum(work)),
            ("build", lambda: _build(work)),
            ("audit", lambda: _audit(work)),
            ("publish", lambda: f"published {publish_warehouse(work)}"),
            ("read", lambda: _read(work)),
        ]
        for name, run in steps:
            if report.passed:
                stage(name, run)
            else:
                report.stages.append(StageResult(name, "skipped", 0.0, "an earlier stage failed"))
                say(report.stages[-1])
        if keep:
            report.stages.append(
                StageResult("drop", "skipped", 0.0, f"--keep: schemas {prefix}*, {lake_uri}")
            )
            say(report.stages[-1])
        else:
            stage("drop", lambda: _drop(work))
    return report


def _land(settings: Settings, sample: Path) -> str:
    generate(sample, scale=CHECK_SCALE, seed=CHECK_SEED)
    landed = land(sample, lake_for(settings))
    rows = sum(result.rows for result in landed)
    return f"{len(landed)} files, {rows:,} rows to {settings.lake}"


def _spectrum(settings: Settings) -> str:
    done = register_spectrum(settings, say=lambda _message: None)
    schemas = ", ".join(sorted({table.split(".")[0] for table in done.tables_created}))
    partitions = sum(done.partitions_added.values())
    return f"{len(done.tables_created)} external tables in {schemas}, {partitions} partitions"


def _build(settings: Settings) -> str:
    result = build_audit(settings, say=lambda _message: None)
    if not result.ok:
        raise RedshiftCheckError(result.describe_failure())
    counts = ", ".join(f"{count} {status}" for status, count in sorted(result.statuses.items()))
    return f"dbt build into {settings.schema_prefix}*__audit: {counts}"


def _audit(settings: Settings) -> str:
    """What the gate of a run checks: no error-severity test failed, every row accounted for."""
    failing = failing_tests(settings)
    if failing:
        raise RedshiftCheckError(f"{len(failing)} tests failed, e.g. {failing[0]['test']}")
    context = RunContext(settings, new_run_document(settings))
    summary = unbalanced(accounts(context))
    if summary:
        raise RedshiftCheckError(summary)
    return "every error-severity test passed; every row is accounted for"


def _read(settings: Settings) -> str:
    read = 0
    with warehouse_reader(settings) as query:
        assert query is not None
        listed = ", ".join(f"'{settings.schema_prefix}{schema}'" for schema in PUBLISHED)
        for relation in query(
            "select table_schema, table_name from information_schema.tables"
            f" where table_schema in ({listed}) order by 1, 2"
        ):
            query(f'select count(*) as found from "{relation["table_schema"]}"."{relation["table_name"]}"')
            read += 1
    if not read:
        raise RedshiftCheckError(
            f"no published relation in {settings.schema_prefix}{{{','.join(PUBLISHED)}}}"
        )
    return f"{read} published relations read"


def _drop(settings: Settings) -> str:
    """Every schema with the check's prefix (the external ones with their Glue database),
    then every object under the check's S3 prefix."""
    prefix = settings.schema_prefix
    if not prefix:
        raise RedshiftCheckError("refusing to drop schemas without a schema prefix")
    connection = connections.redshift()
    try:
        external = {row[0] for row in _rows(connection, "select schemaname from svv_external_schemas")}
        mine = sorted(
            name
            for (name,) in _rows(connection, "select nspname from pg_namespace")
            if name.startswith(prefix)
        )
        cursor = connection.cursor()
        for schema in mine:
            if schema in external:
                cursor.execute(f'drop schema if exists "{schema}" drop external database cascade')
            else:
                cursor.execute(f'drop schema if exists "{schema}" cascade')
    finally:
        connection.close()
    lake = lake_for(settings)
    keys = lake.list_keys("")
    lake.delete(keys)
    return f"{len(mine)} schemas and {len(keys)} S3 objects removed"


def _rows(connection: Any, sql: str) -> list[tuple[Any, ...]]:
    cursor = connection.cursor()
    cursor.execute(sql)
    return list(cursor.fetchall())
