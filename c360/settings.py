"""Settings every command shares: flag > ``C360_*`` environment variable > default.

The CLI declares each setting once, as an option bound to its environment variable
(``c360.cli.options``); the app and dbt read the same variables. Defaults live here, once;
the warehouse servers' connection settings live in ``config.connections``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from config import connections

DEFAULT_LAKE = "./lake"  # dbt's var c360_default_lake is the same folder, seen from dbt/
DEFAULT_WAREHOUSE = "./warehouse/c360.duckdb"
DEFAULT_PUBLISHED = "./warehouse/published.duckdb"
DEFAULT_TARGET = "local"
DEFAULT_LOCK_TIMEOUT = 60.0
TARGETS = ("local", "postgres", "redshift")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"


DUCKDB_MEMORY_SHARE = 0.25  # of the machine's (or the container's) memory


def machine_memory_bytes() -> int:
    """Physical memory, or the cgroup's limit when the process runs under a smaller one."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limited = Path("/sys/fs/cgroup/memory.max").read_text("ascii").strip()
    except OSError:
        return physical
    return min(physical, int(limited)) if limited.isdigit() else physical


def duckdb_memory_limit() -> str:
    """DuckDB's memory_limit for builds: C360_DUCKDB_MEMORY_LIMIT (e.g. ``6GB``), else a
    quarter of the machine's memory. Above it DuckDB spills to disk (its temp_directory
    beside the warehouse) instead of growing: the build's memory does not grow with the data."""
    configured = os.environ.get("C360_DUCKDB_MEMORY_LIMIT")
    if configured:
        return configured
    return f"{max(1, int(machine_memory_bytes() * DUCKDB_MEMORY_SHARE) // 2**20)}MB"


@dataclass(frozen=True)
class Settings:
    lake: str  # an absolute folder path, or s3://bucket/prefix
    warehouse: Path
    published: Path
    target: str = DEFAULT_TARGET
    s3_endpoint_url: str | None = None
    kms_key_id: str | None = None
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    spectrum_iam_role: str = "default"  # the IAM role Spectrum assumes; default: the cluster's
    prefix: str = ""  # C360_SCHEMA_PREFIX as given; see schema_prefix

    @classmethod
    def resolve(
        cls,
        lake: str | Path | None = None,
        warehouse: str | Path | None = None,
        published: str | Path | None = None,
        target: str | None = None,
        s3_endpoint_url: str | None = None,
        kms_key_id: str | None = None,
        lock_timeout: float | None = None,
        spectrum_iam_role: str | None = None,
        schema_prefix: str | None = None,
    ) -> Settings:
        """Build settings from explicit values, then the environment, then defaults."""

        def pick(value: str | Path | None, variable: str, default: str) -> str:
            return str(value) if value is not None else os.environ.get(variable, default)

        chosen_target = pick(target, "C360_TARGET", DEFAULT_TARGET)
        if chosen_target not in TARGETS:
            raise ValueError(f"unknown target {chosen_target!r}; choose one of {', '.join(TARGETS)}")
        chosen_lake = pick(lake, "C360_LAKE", DEFAULT_LAKE)
        wait = float(
            pick(
                None if lock_timeout is None else str(lock_timeout),
                "C360_LOCK_TIMEOUT",
                str(DEFAULT_LOCK_TIMEOUT),
            )
        )
        if not wait >= 0:
            raise ValueError(f"lock timeout {wait}: must be zero or more seconds")
        return cls(
            lake=chosen_lake if "://" in chosen_lake else str(Path(chosen_lake).resolve()),
            warehouse=Path(pick(warehouse, "C360_WAREHOUSE", DEFAULT_WAREHOUSE)).resolve(),
            published=Path(pick(published, "C360_PUBLISHED", DEFAULT_PUBLISHED)).resolve(),
            target=chosen_target,
            s3_endpoint_url=s3_endpoint_url or os.environ.get("C360_S3_ENDPOINT_URL") or None,
            kms_key_id=kms_key_id or os.environ.get("C360_KMS_KEY_ID") or None,
            lock_timeout=wait,
            spectrum_iam_role=spectrum_iam_role or os.environ.get("C360_SPECTRUM_IAM_ROLE") or "default",
            prefix=pick(schema_prefix, "C360_SCHEMA_PREFIX", ""),
        )

    def warehouse_label(self) -> str:
        """The warehouse in words: the DuckDB file, or the server and database."""
        if self.target == "local":
            return str(self.warehouse)
        if self.target == "postgres":
            server = connections.postgres_settings()
            return f"PostgreSQL {server.host}:{server.port}/{server.database}{self._prefix_label()}"
        server = connections.redshift_settings()
        return f"Redshift {server.host}/{server.database}{self._prefix_label()}"

    def _prefix_label(self) -> str:
        return f" (schemas {self.schema_prefix}*)" if self.schema_prefix else ""

    @property
    def schema_prefix(self) -> str:
        """C360_SCHEMA_PREFIX on a server target (a developer's or CI run's own schemas)."""
        return "" if self.target == "local" else self.prefix

    def warehouse_identity(self) -> str:
        """A short, file-name-safe digest of the warehouse label (one lock per warehouse)."""
        return hashlib.sha256(self.warehouse_label().encode("utf-8")).hexdigest()[:16]

    def environment(self) -> dict[str, str]:
        """The variables dbt's profile and the app read, as absolute paths."""
        variables = {
            "C360_LAKE": self.lake,
            "C360_WAREHOUSE": str(self.warehouse),
            "C360_PUBLISHED": str(self.published),
            "C360_TARGET": self.target,
        }
        if self.target == "local":
            variables["C360_DUCKDB_MEMORY_LIMIT"] = duckdb_memory_limit()
        if self.s3_endpoint_url:
            variables["C360_S3_ENDPOINT_URL"] = self.s3_endpoint_url
        if self.schema_prefix:
            variables["C360_SCHEMA_PREFIX"] = self.schema_prefix
        return variables

    def pii_salt(self) -> str:
        """The salt of the marts' e-mail and phone hashes (dbt's c360_pii_hash).

        C360_PII_SALT when set. Otherwise, on a laptop (local and postgres targets), a random
        salt made once and kept beside the warehouse in ``pii_salt`` (mode 600), so a rebuild
        gives the same hashes. Redshift needs the variable: a production salt is a secret
        that must outlive the machine that runs the build.
        """
        configured = os.environ.get("C360_PII_SALT")
        if configured:
            return configured
        if self.target == "redshift":
            raise ValueError(
                "C360_PII_SALT is not set: the redshift target needs the salt of the e-mail and phone "
                "hashes from the environment (keep it in a secret store; changing it changes every hash)"
            )
        path = self.warehouse.parent / "pii_salt"
        if not path.exists():  # written whole, then linked into place: the first writer wins
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".pii_salt.{os.getpid()}.{secrets.token_hex(4)}")
            descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as salt_file:
                salt_file.write(secrets.token_hex(32))
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return path.read_text().strip()
