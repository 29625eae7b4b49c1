"""Lake layout and atomic writes: the one place that knows where a file goes.

Layout (DESIGN.md, "Lake layout")::

    raw/shop/<entity>/ingest_date=YYYY-MM-DD/<entity>_<utc stamp>_<sha256 prefix>.csv
    raw/web/events/dt=YYYY-MM-DD/hr=HH/<shard>-<first seq>-<last seq>.json.gz
    compacted/web/events/dt=YYYY-MM-DD/part-*.parquet
    quarantine/<source>/<entity>/dt=YYYY-MM-DD/*.json.gz

Files appear atomically: they are written under a hidden temporary name in the target
folder and renamed into place, so a reader (dbt's globs) never sees half a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

SHA_PREFIX_LEN = 16
TEMP_SUFFIX = ".tmp"


def shop_dir(lake: Path, entity: str) -> Path:
    return lake / "raw" / "shop" / entity


def shop_file(lake: Path, entity: str, landed_at: datetime, sha256: str) -> Path:
    stamp = landed_at.strftime("%Y%m%dT%H%M%SZ")
    name = f"{entity}_{stamp}_{sha256[:SHA_PREFIX_LEN]}.csv"
    return shop_dir(lake, entity) / f"ingest_date={landed_at:%Y-%m-%d}" / name


def find_landed_shop_file(lake: Path, entity: str, sha256: str) -> Path | None:
    """The file already landed with this content, whatever day it was landed on."""
    pattern = f"ingest_date=*/{entity}_*_{sha256[:SHA_PREFIX_LEN]}.csv"
    return next(iter(sorted(shop_dir(lake, entity).glob(pattern))), None)


def events_file(lake: Path, dt: str, hr: str, shard: str, first_seq: str, last_seq: str) -> Path:
    folder = lake / "raw" / "web" / "events" / f"dt={dt}" / f"hr={hr}"
    return folder / f"{shard}-{first_seq}-{last_seq}.json.gz"


def quarantine_file(lake: Path, source: str, entity: str, dt: str, name: str) -> Path:
    return lake / "quarantine" / source / entity / f"dt={dt}" / f"{name}.json.gz"


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_writer(target: Path) -> Iterator[BinaryIO]:
    """Open a hidden temporary file beside ``target``; rename it into place on success.

    On any exception the temporary file is removed and ``target`` is untouched. A process
    killed mid-write leaves only a dot-file ending in ``.tmp``, which no lake glob matches.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def is_empty(lake: Path) -> bool:
    """True when the lake holds no landed raw file yet."""
    raw = lake / "raw"
    return not raw.exists() or not any(p.is_file() and not p.name.startswith(".") for p in raw.rglob("*"))
