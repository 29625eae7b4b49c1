"""A build of the warehouse, in two parts, into the audit copy the app never reads.

``build_models`` runs ``dbt build`` of every selected model except those that read the CLV
models' fit; ``build_predictions`` fits the models on what that built (``clv_fit``) and
builds the rest. Both hold the warehouse lock and record the build (``publish``): "building",
then green or failed, which is what publishing checks. The build's ``--vars`` are checked
before anything is locked or loaded, so a typo costs one line, not half a build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from c360.settings import Settings
from c360.warehouse import clv_fit
from c360.warehouse.access import warehouse_reader
from c360.warehouse.dbt import (
    AUDIT_VARS,
    BuildFailedError,
    DbtResult,
    dbt_vars,
    merge_run_results,
    run_dbt,
    run_results,
    run_vars,
    target_dir,
)
from c360.warehouse.ledger import write_ledger
from c360.warehouse.locking import command_line, warehouse_lock
from c360.warehouse.publish import GREEN, record
from c360.warehouse.readers import rejections
from c360.warehouse.selection import SELECT, StopPlan, split_selection, stop_plan, table_digests
from c360.warehouse.sources import load_sources
from config.errors import first_line


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


# What reads the CLV fit (clv_fit) builds after it: everything else before.
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
    models = build_models(settings, dbt_args, say, load_raw_first, ledger).result
    if not models.ok:
        return models
    predicted = build_predictions(settings, dbt_args, say, fit=fit_inputs_rebuilt(models)).result
    return combined(models, predicted)


def build_models(
    settings: Settings,
    dbt_args: list[str] | None = None,
    say: Callable[[str], None] = print,
    load_raw_first: bool = True,
    ledger: list[dict[str, Any]] | None = None,
    whole: bool = False,
) -> ModelsBuilt:
    """The first part of a build, under the warehouse lock: ``dbt build`` of every selected
    model except those that read the CLV fit, recording that a build is under way.

    With ``whole``, what reads the fit is built too, in the same dbt call, on the fit as it
    stands: for a selection that does not make the fit's inputs again
    (``selection_reaches_fit``), which then is the whole build, recorded green when it passed
    and did not, after all, make the fit's inputs.
    On PostgreSQL the lake's new raw files are loaded first, unless the caller just did.
    With ``ledger`` (run documents), the run ledger tables are written after dbt. Rejected
    rows are reported as warnings (and returned); a failure is recorded and returned, not
    raised.
    """
    args = ["build", *checked_vars(dbt_args or [])]  # before anything is locked or loaded
    with warehouse_lock(settings, command_line()):
        if load_raw_first:
            load_sources(settings, say)
        record(settings, "building")
        if settings.target != "local":  # into the audit schemas, incremental tables seeded
            prepared = run_dbt(settings, ["run-operation", "c360_prepare_audit", *AUDIT_VARS])
            if not prepared.ok:
                record(settings, "failed")
                raise BuildFailedError(f"preparing the audit schemas failed: {prepared.describe_failure()}")
        result = _build_selected(settings, args if whole else _excluding_fit_children(args), say)
        if ledger is not None:
            write_ledger(settings, ledger)
        if not result.ok:
            record(settings, "failed")
        elif whole and not fit_inputs_rebuilt(result):  # else the fit step still has to run
            record(settings, GREEN)
        rejected = rejections(settings)
        for model, reasons in rejected.items():
            listed = ", ".join(f"{reason} {count:,}" for reason, count in sorted(reasons.items()))
            say(f"warning: {model}: {sum(reasons.values()):,} rows rejected ({listed})")
    return ModelsBuilt(result, rejected)


def _build_selected(settings: Settings, args: list[str], say: Callable[[str], None]) -> DbtResult:
    """``dbt build`` of ``args``; a DuckDB build of what reads changed sources holds back
    what it reaches only through a conformed dimension, and builds it only below one whose
    rows changed (``c360.warehouse.selection.stop_plan``). The plan is read from the last
    dbt call's graph; if the first call's own graph differs (the project changed in
    between), the whole selection is built after it."""
    plan = stop_plan(args) if settings.target == "local" else None
    if plan is None:
        return run_dbt(settings, run_vars(settings, args))
    before = _digests(settings, plan)
    first = run_dbt(settings, run_vars(settings, plan.first_args(args)))
    if not first.ok:
        return first
    if stop_plan(args) != plan:  # the first call parsed a project whose graph differs
        say("dbt's graph changed since the build was planned: building all of the selection")
        return _then(settings, first, args)
    after = _digests(settings, plan)
    changed = [name for name in plan.stops if name not in after or after[name] != before.get(name)]
    models = plan.below_changed(changed)
    if not models:
        say(f"{', '.join(plan.stops)} unchanged: the {len(plan.held)} models below them stay as built")
        return first
    say(f"{', '.join(changed)} changed: building the {len(models)} models below")
    return _then(settings, first, plan.second_args(args, models))


def _then(settings: Settings, first: DbtResult, args: list[str]) -> DbtResult:
    """A second dbt call of a build after ``first``: its results join the first's (in
    ``run_results.json`` too)."""
    earlier = run_results()
    second = run_dbt(settings, run_vars(settings, args))
    merge_run_results(earlier)
    return combined(first, second)


def _digests(settings: Settings, plan: StopPlan) -> dict[str, str]:
    with warehouse_reader(settings) as query:
        return {} if query is None else table_digests(query, plan.stops)


def combined(first: DbtResult, second: DbtResult) -> DbtResult:
    """One result of two dbt calls of a build, the second after the first passed."""
    statuses = dict(first.statuses)
    for status, count in second.statuses.items():
        statuses[status] = statuses.get(status, 0) + count
    return DbtResult(
        second.command, second.exit_code, statuses, second.failures, [*first.built, *second.built]
    )


@dataclass
class ModelsBuilt:
    """The first part of a build: dbt's result, and the rows staging rejected, by model and reason."""

    result: DbtResult
    rejections: dict[str, dict[str, int]]


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
    the first part built (``clv_fit``; unless ``fit`` is false: the first part did
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
                record(settings, "failed")
                raise
            if predictions.note:
                say(f"warning: CLV predictions left null: {predictions.note}")
        result = run_dbt(settings, run_vars(settings, _only_fit_children(args)))
        merge_run_results(earlier)
        record(settings, GREEN if result.ok else "failed")
    return Predicted(result, predictions, seconds)


def _excluding_fit_children(args: list[str]) -> list[str]:
    excluded, rest = split_selection(args, ("--exclude",))
    return [*rest, "--exclude", *excluded, FIT_CHILDREN]


def _only_fit_children(args: list[str]) -> list[str]:
    """What reads the fit, within the build's selection, if it has one (an intersection)."""
    selected, rest = split_selection(args, SELECT)
    return [*rest, "--select", *([f"{FIT_CHILDREN},{chosen}" for chosen in selected] or [FIT_CHILDREN])]


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
        raise BuildFailedError(f"--vars is not YAML or JSON: {first_line(exc)}") from None
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
