"""What every command shares: the consoles, the settings options (declared once), and the
one-line error.

A command names the settings it takes with ``@takes_settings("lake", "target", ...)`` and
receives them resolved, as one ``settings`` argument: flag, then ``C360_*`` variable, then
default (``c360.settings``). That decorator is the one place options become settings.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console

from c360.pipeline.redshift_check import RedshiftCheckError
from c360.settings import (
    DEFAULT_LAKE,
    DEFAULT_PUBLISHED,
    DEFAULT_TARGET,
    DEFAULT_WAREHOUSE,
    Settings,
)
from c360.warehouse.clv_validate import ValidationError
from c360.warehouse.dbt import BuildFailedError
from c360.warehouse.locking import WarehouseBusyError
from c360.warehouse.publish import PublishError
from config import connections
from config.errors import first_line
from loaders.compaction.hours import CompactionError
from loaders.landing.batch_upload import ContractError
from loaders.streaming import event_source_mapping
from loaders.warehouse import spectrum

console = Console()
errors = Console(stderr=True)

# The panels of `c360 --help`: the commands grouped as a user thinks of them.
INGEST = "Ingest: land raw data in the lake"
PIPELINE = "Pipeline: build, publish, run"
SET_UP = "Set up: generated files and warehouses"
EXPLORE = "Explore: the app, the docs, the CLV models"

CheckOption = Annotated[
    bool, typer.Option("--check", help="Write nothing; exit 1 if a generated file is out of date.")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print a machine-readable report instead of tables.")
]

# name -> (annotation, default, the keyword of Settings.resolve it becomes)
SETTINGS_OPTIONS: dict[str, tuple[Any, Any, str]] = {
    "lake": (
        Annotated[
            str, typer.Option("--lake", envvar="C360_LAKE", help="Lake root: a folder or s3://bucket/prefix.")
        ],
        DEFAULT_LAKE,
        "lake",
    ),
    "endpoint_url": (
        Annotated[
            str | None,
            typer.Option(
                "--endpoint-url",
                envvar="C360_S3_ENDPOINT_URL",
                help="S3/Kinesis endpoint override (moto_server, LocalStack); default: AWS.",
            ),
        ],
        None,
        "s3_endpoint_url",
    ),
    "kms_key_id": (
        Annotated[
            str | None,
            typer.Option(
                "--kms-key-id",
                envvar="C360_KMS_KEY_ID",
                help="KMS key (id, ARN or alias) for SSE-KMS on S3; default: the account's aws/s3 key.",
            ),
        ],
        None,
        "kms_key_id",
    ),
    "warehouse": (
        Annotated[str, typer.Option("--warehouse", envvar="C360_WAREHOUSE", help="DuckDB file dbt writes.")],
        DEFAULT_WAREHOUSE,
        "warehouse",
    ),
    "published": (
        Annotated[
            str, typer.Option("--published", envvar="C360_PUBLISHED", help="DuckDB file the app reads.")
        ],
        DEFAULT_PUBLISHED,
        "published",
    ),
    "target": (
        Annotated[
            str,
            typer.Option("--target", envvar="C360_TARGET", help="dbt target: local, postgres or redshift."),
        ],
        DEFAULT_TARGET,
        "target",
    ),
    "lock_timeout": (
        Annotated[
            float | None,
            typer.Option(
                "--lock-timeout",
                envvar="C360_LOCK_TIMEOUT",
                help="Seconds to wait for another c360 process to release the warehouse (default 60).",
            ),
        ],
        None,
        "lock_timeout",
    ),
}

F = TypeVar("F", bound=Callable[..., Any])


def takes_settings(*names: str, **fixed: Any) -> Callable[[F], F]:
    """Give a command the settings options ``names`` (see ``SETTINGS_OPTIONS``) and call it
    with ``settings``, resolved from them and ``fixed`` (e.g. ``target="redshift"``)."""
    unknown = set(names) - set(SETTINGS_OPTIONS)
    if unknown:
        raise ValueError(f"no such settings option: {', '.join(sorted(unknown))}")

    def decorate(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        own = [parameter for parameter in signature.parameters.values() if parameter.name != "settings"]
        shared = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=SETTINGS_OPTIONS[name][0],
                default=SETTINGS_OPTIONS[name][1],
            )
            for name in names
        ]

        @wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = {SETTINGS_OPTIONS[name][2]: kwargs.pop(name) for name in names}
            return command(*args, settings=Settings.resolve(**given, **fixed), **kwargs)

        parameters = [
            parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
            else parameter
            for parameter in own
        ]
        wrapper.__signature__ = signature.replace(parameters=[*parameters, *shared])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in [*own, *shared]}
        return wrapper  # type: ignore[return-value]

    return decorate


EXPECTED_FAILURES = (
    ContractError,
    PublishError,
    WarehouseBusyError,
    BuildFailedError,
    CompactionError,
    event_source_mapping.ConsumeError,
    spectrum.SpectrumError,
    connections.ConnectionFailedError,
    RedshiftCheckError,
    ValidationError,
    ValueError,
    OSError,
    BotoCoreError,
    ClientError,
)


def one_line_errors(command: F) -> F:
    """Turn a failure c360 expects (bad input, a failed build, a busy warehouse, an
    unreachable service) into one line on stderr and exit code 1; a bug keeps its traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except EXPECTED_FAILURES as exc:
            errors.print(f"[bold red]error:[/] {first_line(exc)}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
