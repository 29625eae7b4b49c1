"""Connections to the server warehouses, from the variables the dbt profile reads.

PostgreSQL: ``C360_PG_HOST`` (127.0.0.1), ``C360_PG_PORT`` (5432), ``C360_PG_USER`` (c360),
``C360_PG_DATABASE`` (c360) and ``DBT_ENV_SECRET_PG_PASSWORD`` (else libpq's password file).
Redshift: ``C360_REDSHIFT_HOST``, ``C360_REDSHIFT_PORT`` (5439), ``C360_REDSHIFT_USER``
(c360), ``C360_REDSHIFT_DATABASE`` (c360) and ``DBT_ENV_SECRET_REDSHIFT_PASSWORD``. The
same defaults as the dbt profile (``dbt/profiles.yml``), so c360, the app and dbt reach the
same server. Read here only: the loaders, the ``c360`` package and the app all connect
through this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


class ConnectionFailedError(ValueError):
    """The server cannot be reached with these settings; the message says which and why."""


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    user: str
    database: str
    password: str

    @property
    def label(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.database}"


def postgres_settings() -> ServerSettings:
    return ServerSettings(
        host=os.environ.get("C360_PG_HOST", "127.0.0.1"),
        port=int(os.environ.get("C360_PG_PORT", "5432")),
        user=os.environ.get("C360_PG_USER", "c360"),
        database=os.environ.get("C360_PG_DATABASE", "c360"),
        password=os.environ.get("DBT_ENV_SECRET_PG_PASSWORD", ""),
    )


def redshift_settings() -> ServerSettings:
    return ServerSettings(
        host=os.environ.get("C360_REDSHIFT_HOST", ""),
        port=int(os.environ.get("C360_REDSHIFT_PORT", "5439")),
        user=os.environ.get("C360_REDSHIFT_USER", "c360"),
        database=os.environ.get("C360_REDSHIFT_DATABASE", "c360"),
        password=os.environ.get("DBT_ENV_SECRET_REDSHIFT_PASSWORD", ""),
    )


def analyst_role() -> str:
    """The role the published marts are granted to (PostgreSQL and Redshift)."""
    return os.environ.get("C360_ANALYST_ROLE", "c360_analyst")


def driver_reason(exc: BaseException) -> str:
    """The driver's reason: the last line of its message (psycopg2 puts it there)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def postgres(read_only: bool = False) -> Any:
    """A psycopg2 connection (transactions: commit or roll back yourself)."""
    import psycopg2

    server = postgres_settings()
    try:
        return psycopg2.connect(
            host=server.host,
            port=server.port,
            user=server.user,
            password=server.password,
            dbname=server.database,
            connect_timeout=10,
            options="-c default_transaction_read_only=on" if read_only else None,
        )
    except psycopg2.OperationalError as exc:
        reason = driver_reason(exc)
        raise ConnectionFailedError(f"cannot connect to PostgreSQL {server.label}: {reason}") from None


def redshift(autocommit: bool = True, timeout: int = 30) -> Any:
    """A redshift_connector connection over TLS; autocommit unless asked otherwise, because
    Spectrum's DDL cannot run inside a transaction."""
    import redshift_connector

    server = redshift_settings()
    if not server.host or not server.password:
        raise ConnectionFailedError(
            "Redshift needs C360_REDSHIFT_HOST and DBT_ENV_SECRET_REDSHIFT_PASSWORD set"
            " (and C360_REDSHIFT_PORT, C360_REDSHIFT_USER, C360_REDSHIFT_DATABASE if not the defaults)"
        )
    try:
        connection = redshift_connector.connect(
            host=server.host,
            port=server.port,
            user=server.user,
            password=server.password,
            database=server.database,
            ssl=True,
            timeout=timeout,
        )
    except Exception as exc:  # the driver raises several types for an unreachable cluster
        reason = driver_reason(exc)
        raise ConnectionFailedError(f"cannot connect to Redshift {server.label}: {reason}") from None
    connection.autocommit = autocommit
    return connection
