"""Running the steps: all of them (``c360 run``), one (``c360 step``, the steps Lambda), or
one as a Step Functions task that hands the run document back with its task token.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from c360.pipeline.context import RunContext, RunReport, Step
from c360.pipeline.document import new_run_document
from c360.pipeline.steps import STEP_NAMES, STEPS, step_named
from c360.settings import Settings
from c360.warehouse.build import checked_vars
from c360.warehouse.dbt import check_buildable
from c360.warehouse.locking import command_line, warehouse_lock
from config.errors import first_line


def run_step(step: Step, ctx: RunContext) -> dict[str, Any]:
    """Run one step, timing it and recording its entry (status, seconds, output) in the document."""
    started = time.perf_counter()
    entry: dict[str, Any] = {"name": step.name, "status": "running"}
    ctx.document["steps"] = [e for e in ctx.document.get("steps", []) if e["name"] != step.name] + [entry]
    try:
        output = step.run(ctx)
    except Exception as exc:
        entry.update(status="failed", error=first_line(exc))
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


def run(
    settings: Settings,
    input_dir: Path | None = None,
    dbt_args: list[str] | None = None,
    say: Callable[[str], None] = print,
    only: str | None = None,
    start: str | None = None,
) -> RunReport:
    """The main job: the steps in order, under the warehouse lock.

    A second run waits for this one (or stops with one line naming it) instead of colliding
    with it. ``only`` runs one step, ``start`` the steps from one on. A failed step stops
    the run; the report step still writes the run document and raises the alert, and the
    failure is raised again.
    """
    check_buildable(settings)  # before landing anything
    context = RunContext(
        settings, new_run_document(settings), say, input_dir, checked_vars(list(dbt_args or []))
    )
    with warehouse_lock(settings, command_line()):
        run_steps(context, select_steps(only, start))
    return context.report


def run_task(
    settings: Settings,
    name: str,
    document: dict[str, Any],
    say: Callable[[str], None] = print,
    input_dir: Path | None = None,
) -> dict[str, Any]:
    """One step under the warehouse lock, as ``c360 step`` and a Step Functions ECS task run
    it: the run document in, the document with the step's entry out. With
    ``C360_TASK_TOKEN`` set (the state machine's ``.waitForTaskToken``), the document, or
    the failure in one line, is also handed back to Step Functions."""
    document = {**new_run_document(settings), **document}
    context = RunContext(settings, document, say, input_dir)
    token = os.environ.get("C360_TASK_TOKEN")
    try:
        with warehouse_lock(settings, command_line()):
            run_step(step_named(name), context)
    except Exception as error:
        if token:
            _stepfunctions(settings).send_task_failure(
                taskToken=token, error=f"c360.{type(error).__name__}", cause=first_line(error)[:32768]
            )
        raise
    if token:
        _stepfunctions(settings).send_task_success(taskToken=token, output=json.dumps(document, default=str))
    return document


def _stepfunctions(settings: Settings) -> Any:
    import boto3

    return boto3.client("stepfunctions", endpoint_url=settings.s3_endpoint_url)
