"""``c360 postgres init``: what the PostgreSQL target needs on a server, made once.

It connects as an administrator (a libpq connection string; PG* variables apply), then:
the login role ``C360_PG_USER`` with a new random password, the database
``C360_PG_DATABASE`` owned by it, and the analyst role the marts are granted to
(``C360_ANALYST_ROLE``). The password goes to the libpq password file (``PGPASSFILE``, or
``~/.pgpass``, mode 600), which psycopg2 and dbt read when no password is given, so no
secret sits in the shell. Running it again sets a new password and changes nothing else.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config import connections

IDENTIFIER_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class InitResult:
    host: str
    port: int
    user: str
    database: str
    analyst_role: str
    created: list[str]
    pgpass: Path


def _identifier(name: str, what: str) -> str:
    if not name or not set(name) <= IDENTIFIER_CHARACTERS or name[0].isdigit():
        raise ValueError(f"{what} {name!r}: use lower-case letters, digits and _")
    return f'"{name}"'


def pgpass_path() -> Path:
    return Path(os.environ.get("PGPASSFILE") or Path.home() / ".pgpass")


def _write_pgpass(path: Path, host: str, port: int, database: str, user: str, password: str) -> None:
    """Add (or replace) the line for host:port:database:user, keeping every other line."""
    prefix = f"{host}:{port}:{database}:{user}:"
    lines = path.read_text().splitlines() if path.exists() else []
    kept = [line for line in lines if not line.startswith(prefix)]
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as pgpass:
        pgpass.write("\n".join([*kept, prefix + password]) + "\n")
    path.chmod(0o600)  # libpq ignores a password file others can read


def init(admin_dsn: str) -> InitResult:
    import psycopg2

    server = connections.postgres_settings()
    host, port, user, database = server.host, server.port, server.user, server.database
    analyst = connections.analyst_role()
    quoted_user = _identifier(user, "C360_PG_USER")
    quoted_database = _identifier(database, "C360_PG_DATABASE")
    password = secrets.token_urlsafe(24)
    try:
        admin: Any = psycopg2.connect(admin_dsn, connect_timeout=10)
    except psycopg2.OperationalError as exc:
        reason = connections.driver_reason(exc)
        raise ValueError(f"cannot connect as administrator ({admin_dsn}): {reason}") from None
    admin.autocommit = True  # CREATE DATABASE cannot run in a transaction
    created = []
    try:
        with admin.cursor() as cursor:
            cursor.execute("select 1 from pg_roles where rolname = %s", (user,))
            if cursor.fetchone() is None:
                cursor.execute(f"create role {quoted_user} login")
                created.append(f"role {user}")
            cursor.execute(f"alter role {quoted_user} with login password %s", (password,))
            if analyst:
                cursor.execute("select 1 from pg_roles where rolname = %s", (analyst,))
                if cursor.fetchone() is None:
                    cursor.execute(f"create role {_identifier(analyst, 'C360_ANALYST_ROLE')} nologin")
                    created.append(f"role {analyst}")
            cursor.execute("select 1 from pg_database where datname = %s", (database,))
            if cursor.fetchone() is None:
                cursor.execute(f"create database {quoted_database} owner {quoted_user}")
                created.append(f"database {database}")
    finally:
        admin.close()
    path = pgpass_path()
    _write_pgpass(path, host, port, database, user, password)
    return InitResult(host, port, user, database, analyst, created, path)
