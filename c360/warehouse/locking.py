"""One lock per warehouse: ``c360 run``, ``build``, ``publish`` and ``docs`` take turns.

DuckDB allows one writer per file, and two builds of one PostgreSQL or Redshift schema
would overwrite each other's tables. The lock is an OS file lock (``flock``, through the
``filelock`` library) beside the DuckDB file, or in its folder for the other targets, so
it is released when its holder ends, however it ends (even SIGKILL). A second caller
waits up to its timeout (``--lock-timeout`` / ``C360_LOCK_TIMEOUT``), then stops with one
line naming the holder: command, PID and since when.

The lock is re-entrant within a process: ``c360 run`` holds it and its publish step does
not wait for itself.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from c360.settings import Settings

_held: set[Path] = set()


class WarehouseBusyError(RuntimeError):
    """Another c360 process holds the warehouse's lock."""


def lock_path(settings: Settings) -> Path:
    """The lock file of the settings' warehouse."""
    if settings.target == "local":
        return settings.warehouse.with_name(settings.warehouse.name + ".lock")
    return settings.warehouse.parent / f".{settings.target}-{settings.warehouse_identity()}.lock"


def _holder_path(lock: Path) -> Path:
    return lock.with_name(lock.name + ".holder")


def _describe_holder(lock: Path) -> str:
    try:
        holder = json.loads(_holder_path(lock).read_text("utf-8"))
        return f"`{holder['command']}` (PID {holder['pid']}) since {holder['since']}"
    except (OSError, ValueError, KeyError):
        return "another process"


@contextmanager
def warehouse_lock(settings: Settings, command: str, timeout: float | None = None) -> Iterator[None]:
    """Hold the warehouse's lock for the body, waiting at most ``timeout`` seconds for it."""
    path = lock_path(settings)
    if path in _held:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    wait = settings.lock_timeout if timeout is None else timeout
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise WarehouseBusyError(
            f"{settings.warehouse_label()} is busy: {_describe_holder(path)} holds its lock;"
            f" waited {wait:g} s (--lock-timeout / C360_LOCK_TIMEOUT)"
        ) from None
    _held.add(path)
    try:
        holder = {
            "command": command,
            "pid": os.getpid(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        _holder_path(path).write_text(json.dumps(holder), encoding="utf-8")
        yield
    finally:
        _held.discard(path)
        lock.release()


def command_line() -> str:
    """This process's command line as a person typed it: ``c360 run --input x``."""
    return " ".join(["c360", *sys.argv[1:]]) if sys.argv and sys.argv[0].endswith("c360") else "c360"
