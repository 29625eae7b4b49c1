"""Indexes of objects that are written once and never changed: the landing receipts and the
run documents. A lake of a year of hourly batches holds tens of thousands of each; reading
them one by one per run would cost minutes on S3. An index (``_index/<name>.json.gz``, one
object) holds every such object's JSON by key, so a run costs a listing and one read, plus
the objects written since. It is only a cache: deleting it costs one full read.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from loaders.lake.storage import Lake


def _read_index(lake: Lake, index_key: str) -> dict[str, Any]:
    if not lake.exists(index_key):
        return {}
    try:
        index = json.loads(gzip.decompress(lake.get_bytes(index_key)))
    except (OSError, EOFError, ValueError):
        return {}  # unreadable: it is only a cache, made again by the caller
    return index if isinstance(index, dict) else {}


def indexed_objects(
    lake: Lake,
    prefix: str,
    index_key: str,
    wanted: Callable[[str], bool] = lambda _key: True,
    threads: int = 16,
) -> dict[str, Any]:
    """Every object under ``prefix`` that ``wanted`` accepts, parsed from JSON, by key: from
    the index, plus those written since (read in parallel on S3), less those gone since.
    The index is written again whenever it changed."""
    keys = [key for key in lake.list_keys(prefix) if wanted(key)]
    index = _read_index(lake, index_key)
    missing = [key for key in keys if key not in index]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        bodies = list(pool.map(lake.get_bytes, missing))
    found = {key: index[key] for key in keys if key in index}
    found.update((key, json.loads(body)) for key, body in zip(missing, bodies, strict=True))
    if missing or len(found) != len(index):
        compact = json.dumps(found, separators=(",", ":"), sort_keys=True).encode("utf-8")
        lake.put_bytes(index_key, gzip.compress(compact, mtime=0))
    return found
