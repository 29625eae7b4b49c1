"""Write-audit-publish: the app reads a copy replaced only after a fully green build.

DuckDB allows one writer per file, so the app never opens the file dbt writes. Every c360
build records its outcome beside the warehouse (``<warehouse>.build.json``): "building"
when it starts, then "green" or "failed" with the warehouse file's size and modification
time. ``publish`` runs under the warehouse lock (``locking``) and copies the file
only when the record says green *and* still describes the file (a dbt run outside c360
since then changes it); the copy is renamed over the published one in one step, so
readers holding the old copy keep it until they reconnect. A failed or interrupted build
leaves the last good copy serving. On PostgreSQL and Redshift the record is a file named
after the server's warehouse, and publishing swaps the audit schemas in (``publish_warehouse``).

A green build also keeps dbt's manifest beside its record, and publishing puts it in the
lake (``published_manifest_key``), naming the relations as readers see them: the state
``c360 review`` compares a change with.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from c360.settings import Settings
from c360.warehouse.dbt import run_dbt, run_vars, target_dir
from c360.warehouse.locking import command_line, warehouse_lock
from c360.warehouse.sources import lake_for

GREEN = "green"


# In the lake, per target and warehouse: the last published run's document and dbt's
# manifest of that build (the state `c360 review` compares a change with).
PUBLISHED_PREFIX = "_runs_published/"


def published_manifest_key(settings: Settings) -> str:
    """Where the lake keeps dbt's manifest of the build published for these settings."""
    return f"{PUBLISHED_PREFIX}{settings.target}-{settings.warehouse_identity()}.manifest.json"


class PublishError(RuntimeError):
    """Nothing was published; the previous copy (if any) still serves."""


@dataclass(frozen=True)
class BuildRecord:
    status: str  # "building", "green" or "failed"
    at: str
    size: int | None = None
    mtime_ns: int | None = None


def record_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".build.json")


def record_build(warehouse: Path, status: str) -> BuildRecord:
    """Write the build's outcome beside the warehouse (atomically)."""
    stat = warehouse.stat() if warehouse.exists() and status != "building" else None
    record = BuildRecord(
        status=status,
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        size=stat.st_size if stat else None,
        mtime_ns=stat.st_mtime_ns if stat else None,
    )
    path = record_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(asdict(record)), encoding="utf-8")
    temp.replace(path)
    return record


def last_build(warehouse: Path) -> BuildRecord | None:
    try:
        return BuildRecord(**json.loads(record_path(warehouse).read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def check_green(warehouse: Path) -> BuildRecord:
    """The warehouse's last build record, if it is green; otherwise why nothing may be published."""
    record = last_build(warehouse)
    if record is None:
        raise PublishError(f"{warehouse}: no c360 build is recorded for it; run `c360 build` first")
    if record.status == "published":
        raise PublishError(f"{warehouse}: its last build ({record.at}) is already published")
    if record.status != GREEN:
        raise PublishError(
            f"{warehouse}: its last build ({record.at}) is {record.status}, not green; nothing published"
        )
    return record


def publish(warehouse: Path, published: Path) -> Path:
    """Copy the warehouse over the published copy, if its last c360 build was green.

    Call it under the warehouse lock, as ``c360 publish`` and ``c360 run`` do.
    """
    if not warehouse.exists():
        raise PublishError(f"{warehouse}: no warehouse to publish; run `c360 build` first")
    record = check_green(warehouse)
    stat = warehouse.stat()
    if (stat.st_size, stat.st_mtime_ns) != (record.size, record.mtime_ns):
        raise PublishError(
            f"{warehouse}: changed since its last green c360 build ({record.at}), e.g. by dbt run"
            " directly; run `c360 build` before publishing"
        )
    published.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{published.name}.", suffix=".tmp", dir=published.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        shutil.copyfile(warehouse, temp)
        temp.replace(published)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return published


def record(settings: Settings, status: str) -> BuildRecord:
    """Record the outcome of the settings' build ("building", green, failed, published).
    A green build keeps dbt's manifest of it (the last dbt call's) beside the record."""
    if status == GREEN:
        manifest = target_dir() / "manifest.json"
        if manifest.exists():
            kept = kept_manifest(settings)
            temp = kept.with_name(f".{kept.name}.tmp")
            shutil.copyfile(manifest, temp)
            temp.replace(kept)
    return record_build(build_record(settings), status)


def kept_manifest(settings: Settings) -> Path:
    """dbt's manifest of the settings' last green build."""
    path = build_record(settings)
    return path.with_name(path.name + ".manifest.json")


AUDIT_SUFFIX = "__audit"


def as_published(manifest: dict[str, Any]) -> dict[str, Any]:
    """dbt's manifest of an audited build (PostgreSQL, Redshift) naming the relations as
    they are once published: ``<schema>__audit`` is ``<schema>`` after the swap."""
    for node in manifest.get("nodes", {}).values():
        schema = node.get("schema") or ""
        if schema.endswith(AUDIT_SUFFIX):
            published = schema.removesuffix(AUDIT_SUFFIX)
            node["schema"] = published
            if node.get("relation_name"):
                node["relation_name"] = node["relation_name"].replace(f'"{schema}"', f'"{published}"')
    return manifest


def _keep_published_manifest(settings: Settings) -> None:
    """Put the published build's manifest in the lake, for ``c360 review``."""
    kept = kept_manifest(settings)
    if kept.exists():
        manifest = as_published(json.loads(kept.read_text("utf-8")))
        lake_for(settings).put_bytes(published_manifest_key(settings), json.dumps(manifest).encode("utf-8"))


def last_record(settings: Settings) -> BuildRecord | None:
    """The settings' last recorded build, if any."""
    return last_build(build_record(settings))


def build_record(settings: Settings) -> Path:
    """Where a build's outcome is recorded: beside the DuckDB file, or (server targets) a
    file named after the warehouse in the warehouse folder."""
    if settings.target == "local":
        return settings.warehouse
    return settings.warehouse.parent / f"{settings.target}-{settings.warehouse_identity()}"


def publish_warehouse(settings: Settings) -> Path | str:
    """Publish the last green build for readers, under the warehouse lock.

    DuckDB: copy the warehouse file over the app's copy (``publish``). PostgreSQL and
    Redshift: swap the audit schemas in for the published ones, in one transaction
    (``c360_publish_audit``). Either way the build's manifest goes to the lake.
    """
    with warehouse_lock(settings, command_line()):
        if settings.target == "local":
            published: Path | str = publish(settings.warehouse, settings.published)
        else:
            check_green(build_record(settings))
            result = run_dbt(settings, run_vars(settings, ["run-operation", "c360_publish_audit"]))
            if not result.ok:
                raise PublishError(f"publishing the audit schemas failed: {result.describe_failure()}")
            record_build(build_record(settings), "published")
            published = settings.warehouse_label()
        _keep_published_manifest(settings)
        return published
