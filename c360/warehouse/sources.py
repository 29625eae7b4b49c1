"""The lake, readable by the warehouse: DuckDB reads its files directly, PostgreSQL gets them
COPYed into raw tables, Redshift reads them through Spectrum; then ``dbt source freshness``.
"""

from __future__ import annotations

from collections.abc import Callable

from c360.settings import Settings
from c360.warehouse.dbt import BuildFailedError, run_dbt, run_vars
from config import connections
from loaders.contracts import ENTITIES, contract
from loaders.lake.layout import raw_prefix
from loaders.lake.storage import DEFAULT_MULTIPART_THRESHOLD, Lake, S3Options, open_lake
from loaders.warehouse import spectrum
from loaders.warehouse.postgres_raw import LoadResult as RawLoadResult
from loaders.warehouse.postgres_raw import connection_from_env, load_raw


def lake_for(settings: Settings, multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD) -> Lake:
    """The lake the settings point at: a folder, or S3 (through the endpoint override, if set)."""
    options = S3Options(kms_key_id=settings.kms_key_id, multipart_threshold=multipart_threshold)
    return open_lake(settings.lake, endpoint_url=settings.s3_endpoint_url, options=options)


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


def register_spectrum(
    settings: Settings, say: Callable[[str], None] = print, recreate: bool = False
) -> spectrum.Registered:
    """Make what landed readable on Redshift: the external schemas and tables Spectrum
    reads, the partitions added since the last run, and the committed compacted parts.
    ``recreate``: drop and create again the tables whose columns differ from the contracts."""
    connection = connections.redshift()
    try:
        return spectrum.register(
            lake_for(settings),
            connection,
            schema_prefix=settings.schema_prefix,
            iam_role=settings.spectrum_iam_role,
            recreate=recreate,
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
    result = run_dbt(settings, run_vars(settings, ["source", "freshness", "--select", *selected]))
    for status, count in result.statuses.items():
        statuses[status] = statuses.get(status, 0) + count
    if not result.ok:
        raise BuildFailedError(
            f"dbt source freshness failed: {result.describe_failure()}; the published copy was left as it was"
        )
    return statuses
