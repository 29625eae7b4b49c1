"""The lake, readable by the warehouse: DuckDB reads its files directly, PostgreSQL gets them
COPYed into raw tables, Redshift reads them through Spectrum; and how fresh each source is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from c360.settings import DBT_PROJECT_DIR, Settings
from config import connections
from loaders.contracts import ENTITIES, contract
from loaders.lake import receipts
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


def check_freshness(
    lake: Lake,
    say: Callable[[str], None] = print,
    now: datetime | None = None,
    landed: dict[str, receipts.SourceTotals] | None = None,
) -> dict[str, int]:
    """Source freshness from the lake's landing receipts: how long ago each raw table last
    got a file, against the source's ``warn_after`` in its dbt YAML (a day). Nothing is read
    but the receipts (through their index), so no raw file is parsed again and no dbt
    process is started; ``dbt source freshness`` still answers the same question for
    analysts. A table with no files is a warning too (its models build empty). ``landed``:
    the receipts' totals when the caller has them already."""
    moment = now or datetime.now(UTC)
    present = sources_in_lake(lake)
    landed = receipts.totals(lake) if landed is None else landed
    statuses: dict[str, int] = {}
    for name, has_files in present.items():
        newest = landed[name].newest if name in landed else ""
        warn_after = _warn_after(name)
        if not has_files:
            say(f"warning: source {name} has no files in the lake yet; its models are empty")
            status = "warn"
        elif newest and warn_after is not None and moment - _utc(newest) > warn_after[0]:
            say(f"warning: source {name} last landed a file at {newest}, more than {warn_after[1]} ago")
            status = "warn"
        else:
            status = "pass"
        statuses[status] = statuses.get(status, 0) + 1
    return statuses


def _utc(stamp: str) -> datetime:
    moment = datetime.fromisoformat(stamp)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@functools.cache
def _sources_yaml(source_name: str) -> dict[str, Any]:
    """A source's YAML, read once per process (a run asks for each of its tables)."""
    path = DBT_PROJECT_DIR / f"models/staging/{source_name}/_{source_name}__sources.yml"
    return yaml.load(path.read_text("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # type: ignore[no-any-return]


def _warn_after(name: str) -> tuple[timedelta, str] | None:
    """The source table's ``warn_after`` (its own, or its source's), from the dbt YAML, as
    a duration and in words."""
    source_name, table_name = name.split(".", 1)
    for source in _sources_yaml(source_name)["sources"]:
        if source["name"] != source_name:
            continue
        freshness = source.get("config", {}).get("freshness")
        for table in source["tables"]:
            if table["name"] == table_name and "freshness" in table.get("config", {}):
                freshness = table["config"]["freshness"]
        warn = (freshness or {}).get("warn_after")
        if warn:
            words = f"{warn['count']} {warn['period']}{'' if warn['count'] == 1 else 's'}"
            return timedelta(**{f"{warn['period']}s": warn["count"]}), words
    return None
