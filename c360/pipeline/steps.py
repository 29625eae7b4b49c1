"""The pipeline's steps, in order: one description for the local runner and for the cloud.

``c360 run`` runs them one after another under the warehouse lock (``runner``); ``c360
step NAME`` and the steps Lambda run one, as a Step Functions task does; ``statemachine``
turns the same table into the Amazon States Language definition. Each step reads the run
document (a small JSON object: the run's id, its target and the entries of the steps
before it) and returns its own output, a small JSON object kept in its entry (``steps``:
name, status, seconds, output). A step that has nothing to do says why in ``skipped``.

    land -> stream -> compact -> load_raw -> freshness -> build -> fit -> gate -> publish -> report

A run with nothing new since the last published one (the same lake files and the same dbt
project) stops after ``freshness``: build, fit, gate and publish skip, and nothing is
republished. ``build`` and ``fit`` are the two parts of one build: dbt builds everything
but what reads the CLV models' fit, ``fit`` fits them and builds the rest
(``c360.warehouse.clv_fit``). On DuckDB, new files of some sources rebuild only what
reads them.
Every build rewrites the run ledger (``ops``) from the run documents. ``report`` always
runs: it writes the run document to ``_runs/`` in the lake and, when the run failed, an
alert (``_alerts/`` and SNS).
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from c360.pipeline import alerts
from c360.pipeline.accounts import accounts, unbalanced
from c360.pipeline.changes import (
    changed_sources,
    fingerprints,
    last_published_run,
    previous_runs,
    published_key,
    still_published,
)
from c360.pipeline.context import RunContext, Step, StepFailedError
from c360.pipeline.document import RUNS_PREFIX
from c360.warehouse import clv_fit
from c360.warehouse.build import (
    build_failed,
    build_models,
    build_predictions,
    fit_inputs_rebuilt,
)
from c360.warehouse.publish import publish_warehouse
from c360.warehouse.readers import failing_tests, layer_rows
from c360.warehouse.selection import selection_reaches_fit
from c360.warehouse.sources import check_freshness, load_sources, register_spectrum
from loaders.compaction import hours
from loaders.generator import generate
from loaders.landing.batch_upload import land
from loaders.streaming import event_source_mapping, kinesis_producer

# The sample an empty lake gets on its first run.
SAMPLE_SCALE = 1.0
SAMPLE_SEED = 42


def land_step(ctx: RunContext) -> dict[str, Any]:
    """Land the export files of --input; on an empty lake without one, generate the sample."""
    if ctx.input_dir is not None:
        ctx.report.landed = land(ctx.input_dir, ctx.lake)
    elif ctx.lake.is_empty():
        ctx.say(
            f"The lake at {ctx.settings.lake} is empty: generating sample data"
            f" (scale {SAMPLE_SCALE}, seed {SAMPLE_SEED})."
        )
        with tempfile.TemporaryDirectory(prefix="c360-sample-") as sample:
            generate(Path(sample), scale=SAMPLE_SCALE, seed=SAMPLE_SEED)
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
    stream = kinesis_producer.KinesisTarget(source).stream
    if stream is None:
        raise StepFailedError(f"C360_STREAM={source}: expected kinesis://STREAM")
    kinesis = kinesis_producer.kinesis_client(ctx.settings.s3_endpoint_url)
    consumed = event_source_mapping.poll(kinesis, stream, ctx.lake)
    result = consumed.delivery.result
    return {"received": result.received, "written": result.written, "quarantined": result.quarantined}


def compact_step(ctx: RunContext) -> dict[str, Any]:
    """Compact every closed hour of raw events whose files changed (the Glue job's --scope
    closed); an hour in a single raw file is left as it is."""
    result = hours.compact_closed_hours(ctx.lake)
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
        registered = register_spectrum(ctx.settings, ctx.say)
        return {
            "schemas_created": registered.schemas_created,
            "tables_created": registered.tables_created,
            "partitions_added": sum(registered.partitions_added.values()),
            "compacted_parts": registered.compacted_parts,
            "raw_files_added": registered.raw_files_added,
            "raw_files_removed": registered.raw_files_removed,
        }
    if ctx.settings.target != "postgres":
        return {"skipped": "DuckDB reads the lake files themselves"}
    ctx.report.raw_loaded = load_sources(ctx.settings, ctx.say)
    return {
        "files_loaded": sum(r.files_loaded for r in ctx.report.raw_loaded),
        "rows": sum(r.rows for r in ctx.report.raw_loaded),
    }


def freshness_step(ctx: RunContext) -> dict[str, Any]:
    """Stop here if nothing changed since the last published run; else check each source's
    freshness from its landing receipts (``check_freshness``)."""
    current = fingerprints(ctx)
    previous = last_published_run(ctx)
    if previous is not None and previous.get("fingerprint") == current["all"] and still_published(ctx):
        ctx.say(f"Nothing new since run {previous['run_id']}: the published warehouse is current.")
        ctx.document["nothing_new_since"] = previous["run_id"]  # the state machine's gate reads it
        return {
            "fingerprint": current["all"],
            "fingerprints": current,
            "nothing_new_since": previous["run_id"],
        }
    ctx.report.freshness = check_freshness(ctx.lake, ctx.say, landed=ctx.receipt_totals())
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
    DuckDB the selection of what reads the changed sources. Such a build runs the data
    tests of what it rebuilds but not the unit tests: they test the SQL, which is the same
    as in the green build it starts from (a changed project builds everything)."""
    full_refresh = bool(ctx.document.get("full_refresh"))
    dbt_args = [*ctx.dbt_args, *(["--full-refresh"] if full_refresh else [])]
    selection = ctx.document.get("build_selection")
    if selection and "--select" not in dbt_args and "-s" not in dbt_args:
        dbt_args += ["--select", *selection, "--exclude-resource-type", "unit_test"]
    return dbt_args


def build_step(ctx: RunContext) -> dict[str, Any]:
    """dbt build (models, then tests storing their failures) into the audit copy, of every
    model but those that read the CLV fit (the fit step builds them)."""
    if ctx.nothing_new:
        return {"skipped": f"nothing new since run {ctx.nothing_new}"}
    full_refresh = bool(ctx.document.get("full_refresh"))
    # This run is in the ledger it builds as "built": what readers of the warehouse see of it.
    ledger = [*previous_runs(ctx), {**ctx.document, "status": "built"}]
    # A selection that cannot make the fit's inputs again (new clickstream alone) is built
    # whole, what reads the fit included: one dbt call, and the fit step has nothing to do.
    whole = not selection_reaches_fit(ctx.document.get("build_selection"))
    built = build_models(
        ctx.settings, _build_args(ctx), ctx.say, load_raw_first=False, ledger=ledger, whole=whole
    )
    result = built.result
    found = accounts(ctx)
    # A build passes when dbt's every error-severity test did and every row is accounted for.
    summary = result.describe_failure() if not result.ok else unbalanced(found)
    ctx.document["build_passed"] = summary is None  # the state machine's gate reads it
    # What the fit step needs to know: whether dbt built, and whether it made the fit's inputs.
    ctx.document["models_built"] = result.ok
    ctx.document["fit_inputs_rebuilt"] = fit_inputs_rebuilt(result)
    ctx.document["fit_children_built"] = whole
    return {
        "full_refresh": full_refresh,
        "with_fit_children": whole,
        "passed": summary is None,
        "statuses": result.statuses,
        "failures": failing_tests(ctx.settings),
        "rejections": built.rejections,
        "accounts": found,
        "summary": summary,
    }


def fit_step(ctx: RunContext) -> dict[str, Any]:
    """Fit the CLV models on the audit copy (``c360.warehouse.clv_fit``), then dbt build what reads
    the fit: customer_lifetime_value's predictions, churn_risk, clv_model_parameters."""
    if ctx.nothing_new:
        return {"skipped": f"nothing new since run {ctx.nothing_new}"}
    if ctx.document.get("models_built") is not True:
        return {"skipped": "dbt did not build the models it would fit on"}
    fit = bool(ctx.document.get("fit_inputs_rebuilt", True))
    if ctx.document.get("fit_children_built") and not fit:
        return {"skipped": "nothing the fit reads changed, and the build step built what reads it"}
    predicted = build_predictions(ctx.settings, _build_args(ctx), ctx.say, fit=fit)
    result = predicted.result
    summary = None if result.ok else result.describe_failure()
    # The build passes when both parts did (and, from the build step, the accounts balance).
    ctx.document["build_passed"] = bool(ctx.document.get("build_passed")) and summary is None
    output: dict[str, Any] = {
        "passed": summary is None,
        "fitted": predicted.predictions is not None,
        "fit_seconds": predicted.fit_seconds,
        "statuses": result.statuses,
        "failures": failing_tests(ctx.settings),
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
        raise build_failed(summary or "no build result")
    return {"passed": True}


def publish_step(ctx: RunContext) -> dict[str, Any]:
    """Swap the audited build in for readers: the DuckDB file copied over the app's copy, or
    the audit schemas renamed over the published ones (PostgreSQL, Redshift)."""
    if ctx.nothing_new:
        return {"skipped": f"nothing new since run {ctx.nothing_new}"}
    published = publish_warehouse(ctx.settings)
    if ctx.settings.target == "local":
        ctx.report.published = Path(published)
    ctx.report.layer_rows = layer_rows(ctx.settings)
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
        ctx.lake.put_bytes(published_key(ctx), written)
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
