"""Write-audit-publish: the app reads a copy replaced only after a fully green build.

DuckDB allows one writer per file, so the app never opens the file dbt writes. After a
build whose error-severity tests all passed, the warehouse file is copied beside the
published one and renamed over it in one step; readers holding the old copy keep it until
they reconnect. A failed build leaves the last good copy serving.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


class PublishError(RuntimeError):
    """Nothing was published; the previous copy (if any) still serves."""


def publish(warehouse: Path, published: Path) -> Path:
    if not warehouse.exists():
        raise PublishError(f"{warehouse}: no warehouse to publish; run `c360 build` first")
    if warehouse.with_name(warehouse.name + ".wal").exists():
        raise PublishError(
            f"{warehouse}: a writer still holds it (a .wal file exists); try again when dbt ends"
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
