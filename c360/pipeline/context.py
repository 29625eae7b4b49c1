"""What every step of a run works with: the run's context, the step's shape, the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from c360.pipeline.document import step_output
from c360.settings import Settings
from c360.warehouse.sources import lake_for
from loaders.lake import receipts
from loaders.lake.storage import Lake
from loaders.landing.batch_upload import LandResult
from loaders.warehouse.postgres_raw import LoadResult as RawLoadResult


class StepFailedError(RuntimeError):
    """A step failed; the run stops there (``report`` still runs) and nothing is published."""


@dataclass
class RunReport:
    """What ``c360 run`` prints at the end: the steps' seconds, what landed, rows per layer."""

    step_seconds: dict[str, float] = field(default_factory=dict)
    landed: list[LandResult] = field(default_factory=list)
    generated_sample: bool = False
    layer_rows: dict[str, dict[str, int]] = field(default_factory=dict)
    freshness: dict[str, int] = field(default_factory=dict)  # e.g. {"pass": 5, "warn": 1}
    raw_loaded: list[RawLoadResult] = field(default_factory=list)  # PostgreSQL target only
    published: Path | None = None
    document: dict[str, Any] = field(default_factory=dict)  # the run document


@dataclass
class RunContext:
    """What every step may use: the settings, the lake, the run document so far, a voice."""

    settings: Settings
    document: dict[str, Any]
    say: Callable[[str], None] = print
    input_dir: Path | None = None
    dbt_args: list[str] = field(default_factory=list)
    report: RunReport = field(default_factory=RunReport)
    _lake: Lake | None = None
    _receipt_totals: dict[str, receipts.SourceTotals] | None = None

    @property
    def lake(self) -> Lake:
        if self._lake is None:
            self._lake = lake_for(self.settings)
        return self._lake

    def receipt_totals(self) -> dict[str, receipts.SourceTotals]:
        """The landing receipts summed per source, read once per run: freshness and the
        accounts ask after everything landed (one listing of ``_receipts/`` on S3, not two)."""
        if self._receipt_totals is None:
            self._receipt_totals = receipts.totals(self.lake)
        return self._receipt_totals

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
