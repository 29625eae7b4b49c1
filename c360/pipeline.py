"""The main job, ``c360 run``: land -> source freshness -> build (tests gate every layer) -> publish.

On the PostgreSQL target a step runs before freshness: the lake's raw files are loaded
into the ``raw_*`` schemas with COPY (what Spectrum is to Redshift). The whole run holds
the warehouse lock (``c360.locking``), and publish copies only a build recorded green
(``c360.publish``). A raw table with no files yet is a freshness warning and builds empty.

The same steps run in production as a Step Functions state machine; locally they run here
in order, each timed, and the run ends with a short report of rows per layer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from c360 import clv_fit
from c360.dbt_runner import (
    DbtResult,
    check_buildable,
    dbt_vars,
    merge_run_results,
    run_dbt,
    run_results,
    target_dir,
)
from c360.locking import command_line, warehouse_lock
from c360.publish import GREEN, PublishError, check_green, publish, record_build
from c360.settings import Settings
from c360.warehouse import Query, replace_tables, warehouse_reader
from loaders import connections, spectrum
from loaders.batch_upload import LandResult
from loaders.contracts import ENTITIES, contract
from loaders.lake import DEFAULT_MULTIPART_THRESHOLD, Lake, S3Options, open_lake, raw_prefix
from loaders.postgres_raw import LoadResult as RawLoadResult
from loaders.postgres_raw import connection_from_env, load_raw

# Warehouse schemas in layer order, as generate_schema_name names them.
LAYERS = ("staging", "intermediate", "core", "analytics", "customer")
SAMPLE_SCALE = 1.0
SAMPLE_SEED = 42


class BuildFailedError(RuntimeError):
    """The build failed (a model, an error-severity test or the accounts); nothing was published."""


@dataclass
class RunReport:
    step_seconds: dict[str, float] = field(default_factory=dict)
    landed: list[LandResult] = field(default_factory=list)
    generated_sample: bool = False
    layer_rows: dict[str, dict[str, int]] = field(default_factory=dict)
    freshness: dict[str, int] = field(default_factory=dict)  # e.g. {"pass": 5, "warn": 1}
    raw_loaded: list[RawLoadResult] = field(default_factory=list)  # PostgreSQL target only
    published: Path | None = None
    document: dict[str, Any] = field(default_factory=dict)  # the run document (c360.steps)


def lake_for(settings: Settings, multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD) -> Lake:
    """The lake the settings point at: a folder, or S3 (through the endpoint override, if set)."""
    options = S3Options(kms_key_id=settings.kms_key_id, multipart_threshold=multipart_threshold)
    return open_lake(settings.lake, endpoint_url=settings.s3_endpoint_url, options=options)


def layer_rows(settings: Settings) -> dict[str, dict[str, int]]:
    """Rows of every model of the built warehouse, by layer: the DuckDB file (read-only,
    safe beside a reader) or the server's schemas (with the settings' prefix)."""
    prefix = settings.schema_prefix
    counts: dict[str, dict[str, int]] = {}
    with warehouse_reader(settings) as query:
        if query is None:
            return counts
        listed = ", ".join(f"'{prefix}{layer}'" for layer in LAYERS)
        relations = query(
            "select table_schema, table_name from information_schema.tables"
            f" where table_schema in ({listed}) order by 1, 2"
        )
        for relation in relations:
            schema, name = relation["table_schema"], relation["table_name"]
            [row] = query(f'select count(*) as found from "{schema}"."{name}"')
            counts.setdefault(schema.removeprefix(prefix), {})[name] = int(row["found"])
    return counts


def load_sources(settings: Settings, say: Callable[[str], None] = print) -> list[RawLoadResult]:
    """Make the dbt sources readable on PostgreSQL: COPY the lake's new raw files into the
    raw schemas. DuckDB reads the lake directly; Redshift, see ``register_spectrum``."""
    if settings.target != "postgres":
        return []
    connection = connection_from_env()
    try:
        return load_raw(lake_for(settings), connection, progress=say, schema_prefix=settings.schema_prefix)
    finally:
        connection.close()


def register_spectrum(settings: Settings, say: Callable[[str], None] = print) -> spectrum.Registered:
    """Make what landed readable on Redshift: the external schemas and tables Spectrum
    reads, the partitions added since the last run, and the committed compacted parts."""
    connection = connections.redshift()
    try:
        return spectrum.register(
            lake_for(settings),
            connection,
            schema_prefix=settings.schema_prefix,
            iam_role=settings.spectrum_iam_role,
            say=say,
        )
    finally:
        connection.close()


def sources_in_lake(lake: Lake) -> dict[str, bool]:
    """Whether each raw table (``shop.customers``, ``web.events``, ...) has files in the lake.

    Every target reads the lake (DuckDB directly, PostgreSQL through the raw loader,
    Redshift through Spectrum), so the lake says which sources have data yet.
    """
    return {f"{contract(entity).source}.{entity}": lake.has_keys(raw_prefix(entity)) for entity in ENTITIES}


def check_freshness(settings: Settings, lake: Lake, say: Callable[[str], None] = print) -> dict[str, int]:
    """``dbt source freshness`` for the raw tables that have files; a table with none is a warning."""
    present = sources_in_lake(lake)
    statuses: dict[str, int] = {}
    for name, has_files in present.items():
        if not has_files:
            say(f"warning: source {name} has no files in the lake yet; its models are empty")
            statuses["warn"] = statuses.get("warn", 0) + 1
    selected = [f"source:{name}" for name, has_files in present.items() if has_files]
    if not selected:
        return statuses
    result = run_dbt(settings, _run_vars(settings, ["source", "freshness", "--select", *selected]))
    for status, count in result.statuses.items():
        statuses[status] = statuses.get(status, 0) + count
    if not result.ok:
        raise BuildFailedError(
            f"dbt source freshness failed: {result.describe_failure()}; the published copy was left as it was"
        )
    return statuses


def _has_table(query: Query, schema: str, table: str) -> bool:
    found = query(
        "select count(*) as found from information_schema.tables"
        f" where table_schema = '{schema}' and table_name = '{table}'"
    )
    return bool(found[0]["found"])


REJECTIONS_SQL = (
    "select table_name from information_schema.tables"
    " where table_schema = '{schema}' and table_name like 'no_rejected_rows_%' order by 1"
)
REJECTION_COUNTS_SQL = 'select rejection_reason, rejected_rows from "{schema}"."{table}"'


def rejections(settings: Settings) -> dict[str, dict[str, int]]:
    """Rows staging rejected in the last build, by model and reason (DuckDB and PostgreSQL).

    Read from what the ``no_rejected_rows`` tests stored: one row per reason, with its count.
    """
    counts: dict[str, list[dict[str, Any]]] = {}
    schema = f"{settings.schema_prefix}test_failures"
    with warehouse_reader(settings) as query:
        if query is not None:
            for found in query(REJECTIONS_SQL.format(schema=schema)):
                table = found["table_name"]
                counts[table] = query(REJECTION_COUNTS_SQL.format(schema=schema, table=table))
    return {
        table.removeprefix("no_rejected_rows_").rstrip("_"): {
            str(row["rejection_reason"]): int(row["rejected_rows"]) for row in rows
        }
        for table, rows in counts.items()
        if rows
    }


def build(
    settings: Settings,
    dbt_args: list[str] | None = None,
    say: Callable[[str], None] = print,
    load_raw_first: bool = True,
) -> DbtResult:
    """``dbt build`` under the warehouse lock (see ``build_audit``); raises when it failed."""
    result = build_audit(settings, dbt_args, say, load_raw_first)
    if not result.ok:
        raise build_failed(result.describe_failure())
    return result


def build_failed(summary: str) -> BuildFailedError:
    """The one-line error of a build that may not be published."""
    return BuildFailedError(f"the build failed: {summary}; the published copy was left as it was")


# What reads the CLV fit (c360.clv_fit) builds after it: everything else before.
FIT_CHILDREN = f"source:{clv_fit.SOURCE}+"


def build_audit(
    settings: Settings,
    dbt_args: list[str] | None = None,
    say: Callable[[str], None] = print,
    load_raw_first: bool = True,
    ledger: list[dict[str, Any]] | None = None,
) -> DbtResult:
    """The whole build into the audit copy: ``build_models``, then ``build_predictions``.

    Returns the first part's result when it failed (the second is not attempted), else
    the second's, with the statuses of both.
    """
    models = build_models(settings, dbt_args, say, load_raw_first, ledger)
    if not models.ok:
        return models
    predicted = build_predictions(settings, dbt_args, say, fit=fit_inputs_rebuilt(models)).result
    statuses = dict(models.statuses)
    for status, count in predicted.statuses.items():
        statuses[status] = statuses.get(status, 0) + count
    return DbtResult(predicted.command, predicted.exit_code, statuses, predicted.failures)


def build_models(
    settings: Settings,
    dbt_args: list[str] | None = None,
    say: Callable[[str], None] = print,
    load_raw_first: bool = True,
    ledger: list[dict[str, Any]] | None = None,
) -> DbtResult:
    """The first part of a build, under the warehouse lock: ``dbt build`` of every selected
    model except those that read the CLV fit, recording that a build is under way.

    On PostgreSQL the lake's new raw files are loaded first, unless the caller just did.
    With ``ledger`` (run documents), the run ledger tables are written after dbt. Rejected
    rows are reported as warnings; a failure is recorded and returned, not raised.
    """
    args = ["build", *checked_vars(dbt_args or [])]  # before anything is locked or loaded
    with warehouse_lock(settings, command_line()):
        if load_raw_first:
            load_sources(settings, say)
        record_build(build_record(settings), "building")
        if settings.target != "local":  # into the audit schemas, incremental tables seeded
            prepared = run_dbt(settings, ["run-operation", "c360_prepare_audit", *AUDIT_VARS])
            if not prepared.ok:
                record_build(build_record(settings), "failed")
                raise BuildFailedError(f"preparing the audit schemas failed: {prepared.describe_failure()}")
        result = run_dbt(settings, _run_vars(settings, _excluding_fit_children(args)))
        if ledger is not None:
            write_ledger(settings, ledger)
        if not result.ok:
            record_build(build_record(settings), "failed")
        for model, reasons in rejections(settings).items():
            listed = ", ".join(f"{reason} {count:,}" for reason, count in sorted(reasons.items()))
            say(f"warning: {model}: {sum(reasons.values()):,} rows rejected ({listed})")
    return result


def fit_inputs_rebuilt(models: DbtResult) -> bool:
    """Whether the first part of a build made the fit's inputs again (a build selecting
    only other models leaves the fit, and what reads it, as they were)."""
    return any(node.startswith("model.") and node.endswith(f".{clv_fit.INPUTS}") for node in models.built)


@dataclass
class Predicted:
    """The second part of a build: the fit, its seconds, and dbt's result."""

    result: DbtResult
    predictions: clv_fit.Predictions | None = None
    fit_seconds: float = 0.0


def build_predictions(
    settings: Settings,
    dbt_args: list[str] | None = None,
    say: Callable[[str], None] = print,
    fit: bool = True,
) -> Predicted:
    """The second part of a build, under the warehouse lock: fit the CLV models on what
    the first part built (``c360.clv_fit``; unless ``fit`` is false: the first part did
    not make the fit's inputs again), then ``dbt build`` what reads the fit, and record the
    build green or failed. A fit that cannot be made is not a failure: its predictions are
    null with the reason, which is said here. ``run_results.json`` ends up describing both
    parts when they ran in one place."""
    args = ["build", *checked_vars(dbt_args or [])]
    with warehouse_lock(settings, command_line()):
        earlier = run_results()
        predictions, seconds = None, 0.0
        if fit:
            try:
                predictions, seconds = clv_fit.fit_warehouse(settings, dbt_vars(args))
            except Exception:
                record_build(build_record(settings), "failed")
                raise
            if predictions.note:
                say(f"warning: CLV predictions left null: {predictions.note}")
        result = run_dbt(settings, _run_vars(settings, _only_fit_children(args)))
        merge_run_results(earlier)
        record_build(build_record(settings), GREEN if result.ok else "failed")
    return Predicted(result, predictions, seconds)


def _selection(args: list[str], flags: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(the values of the flags, the arguments without them): dbt's --select a b c."""
    values, rest, taking = [], [], False
    for arg in args:
        if arg in flags:
            taking = True
        elif taking and not arg.startswith("-"):
            values.append(arg)
        else:
            taking = False
            rest.append(arg)
    return values, rest


def _excluding_fit_children(args: list[str]) -> list[str]:
    excluded, rest = _selection(args, ("--exclude",))
    return [*rest, "--exclude", *excluded, FIT_CHILDREN]


def _only_fit_children(args: list[str]) -> list[str]:
    """What reads the fit, within the build's selection, if it has one (an intersection)."""
    selected, rest = _selection(args, ("--select", "-s"))
    return [*rest, "--select", *([f"{FIT_CHILDREN},{chosen}" for chosen in selected] or [FIT_CHILDREN])]


ACCOUNTS_TEST = "staging_accounts_for_every_row_read"


def source_accounts(settings: Settings) -> dict[str, dict[str, int]]:
    """Per dbt source, the rows staging read, staged, rejected and removed as duplicates,
    each counted on its own, as the last build's accounts test stored them (DuckDB and
    PostgreSQL; the test fails the build when they do not add up)."""
    schema = f"{settings.schema_prefix}test_failures"
    with warehouse_reader(settings) as query:
        if query is None or not _has_table(query, schema, ACCOUNTS_TEST):
            return {}  # no warehouse yet, or the build stopped before the test ran
        rows = query(f'select * from "{schema}".{ACCOUNTS_TEST}')
    names = {
        "read": "rows_read",
        "staged": "rows_staged",
        "rejected": "rows_rejected",
        "duplicates": "duplicates_removed",
    }
    return {
        str(row["source_table"]): {name: int(row[column]) for name, column in names.items()} for row in rows
    }


FAILED_STATUSES = ("fail", "error")
SAMPLE_ROWS = 3


def failing_tests(settings: Settings, sample_rows: int = SAMPLE_ROWS) -> list[dict[str, Any]]:
    """The tests that failed the last dbt build: name, status, dbt's message, failing rows
    and a sample of them, read back from where the test stored its failures."""
    path = target_dir() / "run_results.json"
    if not path.exists():
        return []
    failed = [
        entry
        for entry in json.loads(path.read_text("utf-8"))["results"]
        if entry["unique_id"].startswith("test.") and entry["status"] in FAILED_STATUSES
    ]
    found = []
    with warehouse_reader(settings) as query:
        for entry in failed:
            sample: list[dict[str, Any]] = []
            if query is not None and entry.get("relation_name") and entry["status"] == "fail":
                sample = query(f"select * from {entry['relation_name']} limit {int(sample_rows)}")
            found.append(
                {
                    "test": entry["unique_id"].split(".")[2],
                    "status": entry["status"],
                    "message": (entry.get("message") or "").splitlines()[0] if entry.get("message") else "",
                    "failing_rows": entry.get("failures"),
                    "sample": sample,
                }
            )
    return found


def generate_docs(settings: Settings) -> Path:
    """dbt's docs site for the built warehouse, as one self-contained page.

    ``static_index.html`` has the manifest and catalog inside it, so it opens from the file
    system, offline and without ``dbt docs serve``, on the project's overview page (the
    ``__overview__`` doc block). Reads the warehouse's catalog, under its lock.
    """
    with warehouse_lock(settings, command_line()):
        result = run_dbt(settings, ["docs", "generate", "--static"])
    if not result.ok:
        raise BuildFailedError(f"dbt docs generate failed: {result.describe_failure()}")
    return target_dir() / "static_index.html"


LEDGER_COLUMNS = {  # table -> (column, type), in order
    "run_ledger": (
        ("run_id", "text"),
        ("target", "text"),
        ("status", "text"),
        ("started_at", "text"),
        ("finished_at", "text"),
        ("seconds", "double precision"),
        ("failed_step", "text"),
        ("document", "json"),
    ),
    "landed_files": (
        ("run_id", "text"),
        ("file", "text"),
        ("entity", "text"),
        ("status", "text"),
        ("lake_file", "text"),
        ("rows_received", "bigint"),
        ("rows_quarantined", "bigint"),
    ),
}
# A run document is a few kilobytes of JSON: fewer of them to a statement.
LEDGER_ROWS_PER_INSERT = 100


def ledger_rows(documents: list[dict[str, Any]]) -> dict[str, list[tuple[Any, ...]]]:
    """The run ledger as rows: one per run, and one per file a run landed (lineage)."""
    runs, files = [], []
    for document in documents:
        steps = document.get("steps", [])
        failed = next((step["name"] for step in steps if step.get("status") == "failed"), None)
        runs.append(
            (
                document.get("run_id"),
                document.get("target"),
                document.get("status"),
                document.get("started_at"),
                document.get("finished_at"),
                round(sum(step.get("seconds", 0) for step in steps), 2),
                failed,
                json.dumps(document, default=str),
            )
        )
        land: dict[str, Any] = next((step.get("output", {}) for step in steps if step["name"] == "land"), {})
        for landed in land.get("landed_files", []):
            columns = [name for name, _type in LEDGER_COLUMNS["landed_files"][1:]]
            files.append((document.get("run_id"), *(landed.get(column) for column in columns)))
    return {"run_ledger": runs, "landed_files": files}


def write_ledger(settings: Settings, documents: list[dict[str, Any]]) -> None:
    """Replace the warehouse's ``ops`` tables with the ledger of every run in the lake.

    Rebuilt from the run documents each time, so a new warehouse has the whole history.
    """
    rows = ledger_rows(documents)
    replace_tables(
        settings,
        f"{settings.schema_prefix}ops",
        {table: (columns, rows[table]) for table, columns in LEDGER_COLUMNS.items()},
        rows_per_insert=LEDGER_ROWS_PER_INSERT,
    )


AUDIT_VARS = ["--vars", json.dumps({"c360_audit": True})]


def checked_vars(args: list[str]) -> list[str]:
    """dbt arguments with their --vars checked before dbt starts: a YAML or JSON mapping, and
    var as_of_date (the day the marts are as of) a real calendar date, YYYY-MM-DD. A bad
    value stops with one line instead of a compilation error halfway through a build."""
    if "--vars" not in args:
        return args
    at = args.index("--vars")
    if at + 1 >= len(args):
        raise BuildFailedError('--vars needs a value, e.g. --vars \'{"as_of_date": "2024-06-30"}\'')
    try:
        given = yaml.safe_load(args[at + 1])
    except yaml.YAMLError as exc:
        raise BuildFailedError(f"--vars is not YAML or JSON: {str(exc).splitlines()[0]}") from None
    if not isinstance(given, dict):
        raise BuildFailedError(f"--vars must be a mapping of var names to values; got {args[at + 1]!r}")
    as_of = given.get("as_of_date")
    if as_of is not None and not isinstance(as_of, date):
        try:
            date.fromisoformat(str(as_of).strip())
        except ValueError:
            raise BuildFailedError(f"var as_of_date must be a date, YYYY-MM-DD; got {as_of!r}") from None
    try:
        clv_fit.check_vars(given)
    except ValueError as exc:
        raise BuildFailedError(str(exc)) from None
    return args


def _run_vars(settings: Settings, args: list[str]) -> list[str]:
    """The dbt arguments of a step of a run: on PostgreSQL and Redshift every dbt call of a
    run gets the build's vars, whether it needs them or not, so dbt parses the project once
    per run (partial parsing starts over whenever the vars change: about 12 s a call)."""
    return args if settings.target == "local" else _with_audit_vars(args)


def _with_audit_vars(args: list[str]) -> list[str]:
    """dbt arguments with var c360_audit set, merged into any --vars already given."""
    if "--vars" not in args:
        return [*args, *AUDIT_VARS]
    at = args.index("--vars")
    given = yaml.safe_load(args[at + 1]) or {}
    return [*args[: at + 1], json.dumps({**given, "c360_audit": True}), *args[at + 2 :]]


def build_record(settings: Settings) -> Path:
    """Where a build's outcome is recorded: beside the DuckDB file, or (server targets) a
    file named after the warehouse in the warehouse folder."""
    if settings.target == "local":
        return settings.warehouse
    return settings.warehouse.parent / f"{settings.target}-{settings.warehouse_identity()}"


def publish_warehouse(settings: Settings) -> Path | str:
    """Publish the last green build for readers, under the warehouse lock.

    DuckDB: copy the warehouse file over the app's copy (``c360.publish``). PostgreSQL and
    Redshift: swap the audit schemas in for the published ones, in one transaction
    (``c360_publish_audit``).
    """
    with warehouse_lock(settings, command_line()):
        if settings.target == "local":
            return publish(settings.warehouse, settings.published)
        check_green(build_record(settings))
        result = run_dbt(settings, _run_vars(settings, ["run-operation", "c360_publish_audit"]))
        if not result.ok:
            raise PublishError(f"publishing the audit schemas failed: {result.describe_failure()}")
        record_build(build_record(settings), "published")
        return settings.warehouse_label()


def run(
    settings: Settings,
    input_dir: Path | None = None,
    dbt_args: list[str] | None = None,
    say: Callable[[str], None] = print,
    only: str | None = None,
    start: str | None = None,
) -> RunReport:
    """The main job: the steps of ``c360.steps`` in order, under the warehouse lock.

    A second run waits for this one (or stops with one line naming it) instead of colliding
    with it. ``only`` runs one step, ``start`` the steps from one on. A failed step stops
    the run; the report step still writes the run document and raises the alert, and the
    failure is raised again.
    """
    from c360 import steps  # the steps use this module's building blocks

    check_buildable(settings)  # before landing anything
    context = steps.RunContext(
        settings, steps.new_run_document(settings), say, input_dir, checked_vars(list(dbt_args or []))
    )
    with warehouse_lock(settings, command_line()):
        steps.run_steps(context, steps.select_steps(only, start))
    return context.report
