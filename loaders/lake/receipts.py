"""Landing receipts: what each landing counted, kept beside the lake's objects.

Every object a loader writes to ``raw/`` (a shop export, a group of events) or to
``quarantine/`` (the events it refused) gets one receipt at ``_receipts/<its key>.json``::

    {"received": 1000, "written": 997, "quarantined": 3, "landed_at": "...",
     "reasons": {"wrong number of fields": 2, "malformed CSV": 1}}

``received`` is what the loader read for that object, ``written`` the rows the object holds,
``quarantined`` the rows set aside with it (a shop export's bad rows; an events quarantine
object's records). ``c360 unland`` moves a raw object's receipt along with the object, under
``_receipts/quarantine/<source>/<entity>/unlanded/``: its rows count as unlanded.

The build's accounts add them up per source and compare them with what staging read:
``received = quarantined + unlanded + accepted + rejected + duplicates``, exactly. A raw
object without a receipt (a file copied into ``raw/`` by hand, a loader killed between the
object and its receipt) makes that fail, naming the difference, until the file is landed
again (its receipt is then written) or taken back with ``c360 unland``.

Receipts are written with ``put_bytes_if_absent`` after their object: a replayed batch or
a re-landed export finds its object and writes only a missing receipt, never a second one.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from loaders.lake import layout
from loaders.lake.indexes import indexed_objects
from loaders.lake.storage import Lake

UNLANDED = "unlanded"


@dataclass
class Receipt:
    received: int
    written: int = 0
    quarantined: int = 0
    landed_at: str = ""
    reasons: dict[str, int] = field(default_factory=dict)  # quarantined rows by kind of reason


def reason_counts(reasons: Iterable[str]) -> dict[str, int]:
    """Quarantine reasons counted by kind: the text before the first colon."""
    return dict(Counter(reason.split(":", 1)[0].strip() for reason in reasons))


@dataclass
class SourceTotals:
    """One source's receipts added up."""

    received: int = 0
    written: int = 0  # rows in objects still under raw/
    quarantined: int = 0
    unlanded: int = 0
    objects: int = 0
    keys: set[str] = field(default_factory=set)  # raw objects that have a receipt
    newest: str = ""  # the latest landed_at of a raw object (ISO 8601, UTC)
    reasons: Counter[str] = field(default_factory=Counter)  # quarantined rows by kind of reason


def write(lake: Lake, key: str, receipt: Receipt) -> bool:
    """The receipt of the object ``key``, unless it has one (False then)."""
    body = json.dumps(asdict(receipt), separators=(",", ":")).encode("utf-8")
    return lake.put_bytes_if_absent(layout.receipt_key(key), body)


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def move_with(lake: Lake, key: str, moved_to: str) -> None:
    """Keep the receipt of ``key`` with the object, now at ``moved_to`` (``c360 unland``)."""
    old = layout.receipt_key(key)
    if lake.exists(old):
        lake.put_bytes(layout.receipt_key(moved_to), lake.get_bytes(old))
        lake.delete([old])


def _source_of(key: str) -> tuple[str, str, str] | None:
    """(source.entity, area, object key) of a receipt key, or None for anything else."""
    if not key.startswith(layout.RECEIPTS) or not key.endswith(".json"):
        return None
    object_key = key[len(layout.RECEIPTS) : -len(".json")]
    parts = object_key.split("/")
    if len(parts) < 4 or parts[0] not in ("raw", "quarantine"):
        return None
    area = UNLANDED if parts[0] == "quarantine" and parts[3] == UNLANDED else parts[0]
    return f"{parts[1]}.{parts[2]}", area, object_key


def all_receipts(lake: Lake, threads: int = 16) -> dict[str, dict[str, Any]]:
    """Every receipt in the lake, by receipt key: read from the receipts index, plus the
    receipts written since it was made (read in parallel on S3), less those gone since.

    Receipts never change once written (``c360 unland`` moves one to another key), so the
    index (``_index/receipts.json.gz``: ``loaders.lake.indexes``) can stand for all of them.
    """
    return indexed_objects(
        lake, layout.RECEIPTS, layout.RECEIPTS_INDEX, lambda key: _source_of(key) is not None, threads
    )


def totals(lake: Lake, threads: int = 16) -> dict[str, SourceTotals]:
    """Every receipt in the lake added up per ``source.entity`` (see ``all_receipts``)."""
    found: dict[str, SourceTotals] = {}
    for key, receipt in sorted(all_receipts(lake, threads).items()):
        place = _source_of(key)
        if place is not None:
            name, area, object_key = place
            sums = found.setdefault(name, SourceTotals())
            sums.objects += 1
            sums.received += int(receipt["received"])
            sums.quarantined += int(receipt.get("quarantined", 0))
            sums.reasons.update(receipt.get("reasons") or {})
            if area == UNLANDED:
                sums.unlanded += int(receipt.get("written", 0))
            elif area == "raw":
                sums.written += int(receipt.get("written", 0))
                sums.keys.add(object_key)
                sums.newest = max(sums.newest, str(receipt.get("landed_at") or ""))
    return found
