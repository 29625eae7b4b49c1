"""The pipeline's steps, in order: one description for the local runner and for the cloud.

``c360 run`` runs them here one after another under the warehouse lock; ``c360 step NAME``
runs one, as a Step Functions task does; ``c360.statemachine`` turns the same list into
the Amazon States Language definition. Each step reads the run document (a small JSON
object: the run's id, its target and the entries of the steps before it) and returns its
own output, a small JSON object kept in its entry (``steps``: name, status, seconds,
output). A step that has nothing to do says why in ``skipped``.

    land -> stream -> compact -> load_raw -> freshness -> build -> fit -> gate -> publish -> report

A run with nothing new since the last published one (the same lake files and the same dbt
project) stops after ``freshness``: build, fit, gate and publish skip, and nothing is
republished. ``build`` and ``fit`` are the two parts of one build: dbt builds everything
but what reads the CLV models' fit, ``fit`` fits them and builds the rest
(``c360.clv_fit``). On DuckDB, new files of some sources rebuild only what reads them.
Every build rewrites the run ledger (``ops``) from the run documents. ``report`` always
runs: it writes the run document to ``_runs/`` in the lake and, when the run failed, an
alert (``_alerts/`` and SNS).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from c360 import alerts, clv_fit, pipeline
from c360.publish import GREEN, last_build
from c360.run_document import step_output
from c360.settings import DBT_PROJECT_DIR, Settings
from loaders import compaction, receipts
from loaders.batch_upload import land
from loaders.contracts import ENTITIES, contract
from loaders.generator import generate
from loaders.lake import COMPACTED_EVENTS, Lake, raw_prefix

RUNS_PREFIX = "_runs/"
PUBLISHED_PREFIX = "_runs_published/"  # per target and warehouse: its last published run
# What the no-op check compares with the lake files dbt reads: the project that reads them.
# What a source's received rows became, each counted on its own; they add up to received.
ACCOUNT_PARTS = ("quarantined", "unlanded", "accepted", "rejected", "duplicates")
PROJECT_FILES = ("dbt_project.yml", "models", "macros", "seeds", "tests")


class StepFailedError(RuntimeError):
    """A step failed; the run stops there (``report`` still runs) and nothing is published."""


@dataclass
class RunContext:
    """What every step may use: the settings, the lake, the run document so far, a voice."""

    settings: Settings
    document: dict[str, Any]
    say: Callable[[str], None] = print
    input_dir: Path | None = None
    dbt_args: list[str] = field(default_factory=list)
    report: pipeline.RunReport = field(default_factory=pipeline.RunReport)
    _lake: Lake | None = None

    @property
    def lake(self) -> Lake:
        if self._lake is None:
            self._lake = pipeline.lake_for(self.settings)
        return self._lake

    def output(self, step: str) -> dict[str, Any]:
        """The output of an earlier step of this run ({} if it has not run)."""
        return step_output(self.document, step)

    @property
    def nothing_new(self) -> str | None:
        """The run whose published result this one would only repeat, if any."""
        return self.document.get("nothing_new_since")


StepFunction = Callable[[RunContext], dict[str, Any]]


@dataclass(frozen=True)
class Step:
    name: str
    does: str  # one line, for --help, the docs and the state machine's Comment
    run: StepFunction
    # How Step Functions runs it: "lambda", "glue" or "ecs"; "choice" (a Choice state on the
    # document's fields), or "pass" (nothing to call: the Kinesis consumer runs continuously).
    cloud: str


def new_run_document(settings: Settings) -> dict[str, Any]:
    started = datetime.now(UTC)
    return {
        "run_id": f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
        "target": settings.target,
        "lake": settings.lake,
        "started_at": started.isoformat(timespec="seconds"),
        "steps": [],
    }


# --- the steps ------------------------------------------------------------------------------


def land_step(ctx: RunContext) -> dict[str, Any]:
    """Land the export files of --input; on an empty lake without one, generate the sample."""
    if ctx.input_dir is not None:
        ctx.report.landed = land(ctx.input_dir, ctx.lake)
    elif ctx.lake.is_empty():
        ctx.say(
            f"The lake at {ctx.settings.lake} is empty: generating sample data"
            f" (scale {pipeline.SAMPLE_SCALE}, seed {pipeline.SAMPLE_SEED})."
        )
        with tempfile.TemporaryDirectory(prefix="c360-sample-") as sample:
            generate(Path(sample), scale=pipeline.SAMPLE_SCALE, seed=pipeline.SAMPLE_SEED)
            ctx.report.landed = land(Path(sample), ctx.lake)
        ctx.report.generated_sample = True
    else:
        return {"skipped": "no --input and the lake is not empty"}
    landed = ctx.report.landed
    return {
        "files": len(landed),
        "landed": sum(1 for result in landed if result.status == "landed"),
        "rows": sum(result.rows for result in landed),
        "quarantined": sum(result.quarantined for result in landed),
        "generated_sample": ctx.report.generated_sample,
        # Lineage: which lake file each input became in this run (the ledger's landed_files).
        "landed_files": [
            {
                "file": result.source.name,
                "entity": result.entity,
                "status": result.status,
                "lake_file": result.target,
                "rows_received": result.rows,
                "rows_quarantined": result.quarantined,
            }
            for result in landed
        ],
    }


def stream_step(ctx: RunContext) -> dict[str, Any]:
    """Drain the Kinesis stream named by C360_STREAM (kinesis://NAME) through the consumer."""
    source = os.environ.get("C360_STREAM")
    if not source:
        return {"skipped": "no stream configured (C360_STREAM)"}
    import boto3

    from loaders import event_source_mapping, kinesis_producer

    stream = kinesis_producer.KinesisTarget(source).stream
    if stream is None:
        raise StepFailedError(f"C360_STREAM={source}: expected kinesis://STREAM")
    kinesis = boto3.client("kinesis", endpoint_url=ctx.settings.s3_endpoint_url)
    consumed = event_source_mapping.poll(kinesis, stream, ctx.lake)
    result = consumed.delivery.result
    return {"received": result.received, "written": result.written, "quarantined": result.quarantined}


def compact_step(ctx: RunContext) -> dict[str, Any]:
    """Compact every closed hour of raw events whose files changed (the Glue job's --scope
    closed); an hour in a single raw file is left as it is."""
    result = compaction.compact_closed_hours(ctx.lake)
    for hour, why in result.left_raw.items():
        ctx.say(f"warning: {hour} left uncompacted: {why}")
    return {
        "hours_compacted": result.compacted,
        "hours_unchanged": result.unchanged,
        "hours_in_one_file": result.too_few_files,
        "hours_left_raw": sorted(result.left_raw),
    }


def load_raw_step(ctx: RunContext) -> dict[str, Any]:
    """Make what landed readable by the warehouse: COPY new raw files into PostgreSQL's raw
    schemas, or register Spectrum's new partitions and committed parts on Redshift."""
    if ctx.settings.target == "redshift":
        registered = pipeline.register_spectrum(ctx.settings, ctx.say)
        return {
            "schemas_created": registered.schemas_created,
            "tables_created": registered.tables_created,
            "partitions_added": sum(registered.partitions_added.values()),
            "compacted_parts": registered.compacted_parts,
        }
    if ctx.settings.target != "postgres":
        return {"skipped": "DuckDB reads the lake files themselves"}
    ctx.report.raw_loaded = pipeline.load_sources(ctx.settings, ctx.say)
    return {
        "files_loaded": sum(r.files_loaded for r in ctx.report.raw_loaded),
        "rows": sum(r.rows for r in ctx.report.raw_loaded),
    }


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
    record = last_build(pipeline.build_record(ctx.settings))
    if before.get("project") != current["project"] or record is None or record.status != GREEN:
        return None
    return sorted(
        name for name, digest in current["sources"].items() if before.get("sources", {}).get(name) != digest
    )


def accounts(ctx: RunContext) -> dict[str, dict[str, Any]]:
    """Per source, each counted on its own: rows received (the landing receipts: what the
    loaders read), quarantined when landing, unlanded (``c360 unland``), accepted into
    staging, rejected by staging and removed as duplicates. ``balanced`` when received =
    quarantined + unlanded + accepted + rejected + duplicates; else ``unexplained`` holds
    the difference and ``without_receipt`` the raw files that explain it, when any do."""
    landed = receipts.totals(ctx.lake)
    found = {}
    for name, staging in pipeline.source_accounts(ctx.settings).items():
        sums = landed.get(name, receipts.SourceTotals())
        numbers: dict[str, Any] = {
            "received": sums.received,
            "quarantined": sums.quarantined,
            "unlanded": sums.unlanded,
            "accepted": staging["staged"],
            "rejected": staging["rejected"],
            "duplicates": staging["duplicates"],
            "quarantined_by_reason": dict(sums.reasons),
        }
        explained = sum(numbers[part] for part in ACCOUNT_PARTS)
        numbers["balanced"] = numbers["received"] == explained
        if not numbers["balanced"]:
            numbers["unexplained"] = explained - numbers["received"]
            entity = name.split(".", 1)[1]
            unreceipted = [key for key in ctx.lake.list_keys(raw_prefix(entity)) if key not in sums.keys]
            numbers["without_receipt"] = unreceipted[:10]
        found[name] = numbers
    return found


def unbalanced(found: dict[str, dict[str, Any]]) -> str | None:
    """One line on the sources whose accounts do not balance, or None when all do."""
    wrong = {name: numbers for name, numbers in found.items() if not numbers["balanced"]}
    if not wrong:
        return None
    described = []
    for name, numbers in sorted(wrong.items()):
        parts = " + ".join(f"{numbers[part]:,} {part}" for part in ACCOUNT_PARTS)
        line = f"{name} received {numbers['received']:,} rows but {parts}"
        if numbers["without_receipt"]:
            line += (
                f" (raw files without a landing receipt, e.g. {numbers['without_receipt'][0]}:"
                " land the export again, or take the file back with `c360 unland`)"
            )
        described.append(line)
    return "the accounts do not balance: " + "; ".join(described)


def previous_runs(ctx: RunContext) -> list[dict[str, Any]]:
    """Every run document in the lake, oldest first."""
    return [json.loads(ctx.lake.get_bytes(key)) for key in sorted(ctx.lake.list_keys(RUNS_PREFIX))]


def _published_key(ctx: RunContext) -> str:
    return f"{PUBLISHED_PREFIX}{ctx.settings.target}-{ctx.settings.warehouse_identity()}.json"


def last_published_run(ctx: RunContext) -> dict[str, Any] | None:
    """The newest run document in the lake that published, for this target and warehouse:
    the copy ``report`` keeps of it (one read), or else the newest such in ``_runs/``."""
    if ctx.lake.exists(_published_key(ctx)):
        return json.loads(ctx.lake.get_bytes(_published_key(ctx)))  # type: ignore[no-any-return]
    for key in sorted(ctx.lake.list_keys(RUNS_PREFIX), reverse=True):
        document = json.loads(ctx.lake.get_bytes(key))
        if (
            document.get("status") == "published"
            and document.get("target") == ctx.settings.target
            and document.get("warehouse") == ctx.settings.warehouse_identity()
        ):
            return document  # type: ignore[no-any-return]
    return None


def _still_published(ctx: RunContext) -> bool:
    """Whether what the last published run published is still what readers get."""
    record = last_build(pipeline.build_record(ctx.settings))
    if ctx.settings.target == "local":
        return ctx.settings.published.exists() and record is not None and record.status == GREEN
    return record is not None and record.status == "published"


def freshness_step(ctx: RunContext) -> dict[str, Any]:
    """Stop here if nothing changed since the last published run; else dbt source freshness."""
    current = fingerprints(ctx)
    previous = last_published_run(ctx)
    if previous is not None and previous.get("fingerprint") == current["all"] and _still_published(ctx):
        ctx.say(f"Nothing new since run {previous['run_id']}: the published warehouse is current.")
        ctx.document["nothing_new_since"] = previous["run_id"]  # the state machine's gate reads it
        return {
            "fingerprint": current["all"],
            "fingerprints": current,
            "nothing_new_since": previous["run_id"],
        }
    ctx.report.freshness = pipeline.check_freshness(ctx.settings, ctx.lake, ctx.say)
    output: dict[str, Any] = {
        "fingerprint": current["all"],
        "fingerprints": current,
        "statuses": ctx.report.freshness,
    }
    changed = changed_sources(ctx, previous, current)
    if changed is not None:
        # Only what reads a changed source is rebuilt (and tested); the rest is as published.
        ctx.document["build_selection"] = [f"source:{name}+" for name in changed]
        output["changed_sources"] = changed
    return output


def _build_args(ctx: RunContext) -> list[str]:
    """The dbt arguments of both parts of the build: the run's, a full refresh, and on
    DuckDB the selection of what reads the changed sources."""
    full_refresh = bool(ctx.document.get("full_refresh"))
    dbt_args = [*ctx.dbt_args, *(["--full-refresh"] if full_refresh else [])]
    selection = ctx.document.get("build_selection")
    if selection and "--select" not in dbt_args and "-s" not in dbt_args:
        dbt_args += ["--select", *selection]
    return dbt_args


def build_step(ctx: RunContext) -> dict[str, Any]:
    """dbt build (models, then tests storing their failures) into the audit copy, of every
    model but those that read the CLV fit (the fit step builds them)."""
    if ctx.nothing_new:
        return {"skipped": f"nothing new since run {ctx.nothing_new}"}
    full_refresh = bool(ctx.document.get("full_refresh"))
    # This run is in the ledger it builds as "built": what readers of the warehouse see of it.
    ledger = [*previous_runs(ctx), {**ctx.document, "status": "built"}]
    result = pipeline.build_models(
        ctx.settings, _build_args(ctx), ctx.say, load_raw_first=False, ledger=ledger
    )
    found = accounts(ctx)
    # A build passes when dbt's every error-severity test did and every row is accounted for.
    summary = result.describe_failure() if not result.ok else unbalanced(found)
    ctx.document["build_passed"] = summary is None  # the state machine's gate reads it
    # What the fit step needs to know: whether dbt built, and whether it made the fit's inputs.
    ctx.document["models_built"] = result.ok
    ctx.document["fit_inputs_rebuilt"] = pipeline.fit_inputs_rebuilt(result)
    return {
        "full_refresh": full_refresh,
        "passed": summary is None,
        "statuses": result.statuses,
        "failures": pipeline.failing_tests(ctx.settings),
        "rejections": pipeline.rejections(ctx.settings),
        "accounts": found,
        "summary": summary,
    }


def fit_step(ctx: RunContext) -> dict[str, Any]:
    """Fit the CLV models on the audit copy (``c360.clv_fit``), then dbt build what reads
    the fit: customer_lifetime_value's predictions, churn_risk, clv_model_parameters."""
    if ctx.nothing_new:
        return {"skipped": f"nothing new since run {ctx.nothing_new}"}
    if ctx.document.get("models_built") is not True:
        return {"skipped": "dbt did not build the models it would fit on"}
    fit = bool(ctx.document.get("fit_inputs_rebuilt", True))
    predicted = pipeline.build_predictions(ctx.settings, _build_args(ctx), ctx.say, fit=fit)
    result = predicted.result
    summary = None if result.ok else result.describe_failure()
    # The build passes when both parts did (and, from the build step, the accounts balance).
    ctx.document["build_passed"] = bool(ctx.document.get("build_passed")) and summary is None
    output: dict[str, Any] = {
        "passed": summary is None,
        "fitted": predicted.predictions is not None,
        "fit_seconds": predicted.fit_seconds,
        "statuses": result.statuses,
        "failures": pipeline.failing_tests(ctx.settings),
        "summary": summary,
    }
    if predicted.predictions is not None:
        output["models"] = clv_fit.describe(predicted.predictions)
        output["note"] = predicted.predictions.note
    return output


def gate_step(ctx: RunContext) -> dict[str, Any]:
    """Let the build through only if every model built and every error-severity test passed."""
    if ctx.nothing_new:
        return {"skipped": f"nothing new since run {ctx.nothing_new}"}
    if ctx.document.get("build_passed") is not True:
        summary = ctx.output("fit").get("summary") or ctx.output("build").get("summary")
        raise pipeline.build_failed(summary or "no build result")
    return {"passed": True}


def publish_step(ctx: RunContext) -> dict[str, Any]:
    """Swap the audited build in for readers: the DuckDB file copied over the app's copy, or
    the audit schemas renamed over the published ones (PostgreSQL, Redshift)."""
    if ctx.nothing_new:
        return {"skipped": f"nothing new since run {ctx.nothing_new}"}
    published = pipeline.publish_warehouse(ctx.settings)
    if ctx.settings.target == "local":
        ctx.report.published = Path(published)
    ctx.report.layer_rows = pipeline.layer_rows(ctx.settings)
    return {"published": str(published), "layer_rows": ctx.report.layer_rows}


def report_step(ctx: RunContext) -> dict[str, Any]:
    """Write the run document to the lake's _runs/; on failure, raise the alert."""
    document = ctx.document
    document["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    failed = [entry for entry in document["steps"] if entry["status"] == "failed"]
    if failed or document.get("error"):  # error: what the state machine caught
        document["status"] = "failed"
    elif ctx.nothing_new:
        document["status"] = "nothing new"
    elif ctx.output("publish").get("published"):
        document["status"] = "published"
    else:
        document["status"] = "built"
    document["fingerprint"] = ctx.output("freshness").get("fingerprint")
    document["warehouse"] = ctx.settings.warehouse_identity()
    key = f"{RUNS_PREFIX}{document['run_id']}.json"
    written = json.dumps(document, indent=2, default=str).encode("utf-8")
    ctx.lake.put_bytes(key, written)
    if document["status"] == "published":  # what the next run's no-op check compares with
        ctx.lake.put_bytes(_published_key(ctx), written)
    output: dict[str, Any] = {"run_document": ctx.lake.url(key), "status": document["status"]}
    if document["status"] == "failed":
        output["alert"] = alerts.raise_alert(ctx.lake, document)
    metrics = alerts.publish_metrics(document)  # with C360_METRICS_NAMESPACE (the AWS alarms)
    if metrics is not None:
        output["metrics"] = metrics
    return output


STEPS: tuple[Step, ...] = (
    Step("land", "Land new export files, or the sample on an empty lake.", land_step, "lambda"),
    Step("stream", "Drain the clickstream from Kinesis through the consumer.", stream_step, "pass"),
    Step("compact", "Compact closed hours of raw events to Parquet.", compact_step, "glue"),
    Step(
        "load_raw",
        "Make what landed readable: COPY to PostgreSQL, or Spectrum partitions on Redshift.",
        load_raw_step,
        "ecs",
    ),
    Step("freshness", "Check source freshness, or find nothing new and stop.", freshness_step, "ecs"),
    Step("build", "dbt build into the audit copy, tests storing their failures.", build_step, "ecs"),
    Step(
        "fit",
        "Fit the CLV models on the audit copy, then build and test what reads them.",
        fit_step,
        "ecs",
    ),
    Step("gate", "Pass only a build whose every error-severity test passed.", gate_step, "choice"),
    Step("publish", "Swap the audited build in for the readers.", publish_step, "ecs"),
    Step("report", "Write the run document; alert on failure.", report_step, "ecs"),
)
STEP_NAMES = tuple(step.name for step in STEPS)


def step_named(name: str) -> Step:
    for step in STEPS:
        if step.name == name:
            return step
    raise ValueError(f"unknown step {name!r}; the steps are: {', '.join(STEP_NAMES)}")


def run_step(step: Step, ctx: RunContext) -> dict[str, Any]:
    """Run one step, timing it and recording its entry (status, seconds, output) in the document."""
    started = time.perf_counter()
    entry: dict[str, Any] = {"name": step.name, "status": "running"}
    ctx.document["steps"] = [e for e in ctx.document.get("steps", []) if e["name"] != step.name] + [entry]
    try:
        output = step.run(ctx)
    except Exception as exc:
        entry.update(status="failed", error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise
    finally:
        entry["seconds"] = round(time.perf_counter() - started, 2)
        ctx.report.step_seconds[step.name] = entry["seconds"]
    entry.update(status="skipped" if "skipped" in output else "ok", output=output)
    return output


def select_steps(only: str | None = None, start: str | None = None) -> list[Step]:
    """All steps, one (--only), or those from one on (--from); report always ends a run."""
    if only is not None:
        return [step_named(only)]
    first = STEP_NAMES.index(step_named(start).name) if start else 0
    return list(STEPS[first:])


def run_steps(ctx: RunContext, selected: list[Step]) -> None:
    """Run the selected steps in order; on a failure, still run ``report``, then raise it."""
    ctx.report.document = ctx.document
    try:
        for step in selected:
            run_step(step, ctx)
    except Exception:
        if selected[-1].name == "report" and not any(e["name"] == "report" for e in ctx.document["steps"]):
            run_step(step_named("report"), ctx)
        raise


def lambda_handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """The steps Lambda of the state machine: ``{"step": NAME, "document": {...}}`` in, the
    run document with the step's entry out. Settings come from the ``C360_*`` environment."""
    settings = Settings.resolve()
    document = {**new_run_document(settings), **(event.get("document") or {})}
    run_step(step_named(event["step"]), RunContext(settings, document))
    return document
