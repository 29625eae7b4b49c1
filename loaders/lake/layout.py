"""The lake's layout, as keys relative to the lake root::

    raw/shop/<entity>/ingest_date=YYYY-MM-DD/<entity>_<utc stamp>_<sha256 prefix>.csv
    raw/web/events/dt=YYYY-MM-DD/hr=HH/<shard>-<first seq>-<last seq>.json.gz
    compacted/web/events/dt=YYYY-MM-DD/hr=HH/part-NNNNN.parquet + _manifest.json (the commit)
    quarantine/<source>/<entity>/dt=YYYY-MM-DD/<shard>-<first seq>-<last seq>.json.gz
    _receipts/<key of a raw or quarantine object>.json   (what its landing counted)
    _index/receipts.json.gz                              (every receipt, in one object)
    _runs/<run id>.json                                  (each run's document)
    _index/runs.json.gz                                  (every run document, in one object)

The functions below are the only place that knows this layout.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

SHA_PREFIX_LEN = 16
COMPACTED_EVENTS = "compacted/web/events"
RAW_EVENTS = "raw/web/events"
RECEIPTS = "_receipts/"
RECEIPTS_INDEX = "_index/receipts.json.gz"  # a cache of every receipt (loaders.lake.receipts)
RUNS_INDEX = "_index/runs.json.gz"  # a cache of every document under _runs/ (c360.pipeline)
MANIFEST = "_manifest.json"  # a compacted hour's commit: the parts that make it up


def shop_prefix(entity: str) -> str:
    return f"raw/shop/{entity}/"


def shop_key(entity: str, landed_at: datetime, sha256: str) -> str:
    stamp = landed_at.strftime("%Y%m%dT%H%M%SZ")
    name = f"{entity}_{stamp}_{sha256[:SHA_PREFIX_LEN]}.csv"
    return f"{shop_prefix(entity)}ingest_date={landed_at:%Y-%m-%d}/{name}"


def events_key(dt: str, hr: str, shard: str, first_seq: str, last_seq: str) -> str:
    return f"{RAW_EVENTS}/dt={dt}/hr={hr}/{shard}-{first_seq}-{last_seq}.json.gz"


def raw_prefix(entity: str) -> str:
    """Where an entity's raw files land (shop exports by entity, events by dt/hr)."""
    return f"{RAW_EVENTS}/" if entity == "events" else shop_prefix(entity)


def raw_events_prefix(dt: str, hr: str | None = None) -> str:
    return f"{RAW_EVENTS}/dt={dt}/" + (f"hr={hr}/" if hr is not None else "")


def compacted_events_prefix(dt: str, hr: str) -> str:
    return f"{COMPACTED_EVENTS}/dt={dt}/hr={hr}/"


def quarantine_key(source: str, entity: str, dt: str, name: str) -> str:
    return f"quarantine/{source}/{entity}/dt={dt}/{name}.json.gz"


def receipt_key(key: str) -> str:
    """Where the landing receipt of the raw or quarantine object ``key`` is kept."""
    return f"{RECEIPTS}{key}.json"


def partition_values(key: str) -> dict[str, str]:
    """The hive partition values in a key: ``raw/web/events/dt=D/hr=H/x`` -> {dt: D, hr: H}."""
    parts = (segment.split("=", 1) for segment in key.split("/")[:-1] if "=" in segment)
    return {name: value for name, value in parts}


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def is_visible(key: str) -> bool:
    """False for temporary and hidden objects (dot-files), which no reader may pick up."""
    return not any(segment.startswith(".") for segment in key.split("/"))
