"""The accounts of a build: every row a source received, and what became of it."""

from __future__ import annotations

from typing import Any

from c360.pipeline.context import RunContext
from c360.warehouse.readers import source_accounts
from loaders.lake import receipts
from loaders.lake.layout import raw_prefix

# What a source's received rows became, each counted on its own; they add up to received.
ACCOUNT_PARTS = ("quarantined", "unlanded", "accepted", "rejected", "duplicates")


def accounts(ctx: RunContext) -> dict[str, dict[str, Any]]:
    """Per source, each counted on its own: rows received (the landing receipts: what the
    loaders read), quarantined when landing, unlanded (``c360 unland``), accepted into
    staging, rejected by staging and removed as duplicates. ``balanced`` when received =
    quarantined + unlanded + accepted + rejected + duplicates; else ``unexplained`` holds
    the difference and ``without_receipt`` the raw files that explain it, when any do."""
    landed = ctx.receipt_totals()
    found = {}
    for name, staging in source_accounts(ctx.settings).items():
        sums = landed.get(name, receipts.SourceTotals())
        numbers: dict[str, Any] = {
            "received": sums.received,
            "quarantined": sums.quarantined,
            "unlanded": sums.unlanded,
            "accepted": staging["staged"],
            "rejected": staging["rejected"],
            "duplicates": staging["duplicates"],
            "quarantined_by_reason": dict(sums.reasons),
        }
        explained = sum(numbers[part] for part in ACCOUNT_PARTS)
        numbers["balanced"] = numbers["received"] == explained
        if not numbers["balanced"]:
            numbers["unexplained"] = explained - numbers["received"]
            entity = name.split(".", 1)[1]
            unreceipted = [key for key in ctx.lake.list_keys(raw_prefix(entity)) if key not in sums.keys]
            numbers["without_receipt"] = unreceipted[:10]
        found[name] = numbers
    return found


def unbalanced(found: dict[str, dict[str, Any]]) -> str | None:
    """One line on the sources whose accounts do not balance, or None when all do."""
    wrong = {name: numbers for name, numbers in found.items() if not numbers["balanced"]}
    if not wrong:
        return None
    described = []
    for name, numbers in sorted(wrong.items()):
        parts = " + ".join(f"{numbers[part]:,} {part}" for part in ACCOUNT_PARTS)
        line = f"{name} received {numbers['received']:,} rows but {parts}"
        if numbers["without_receipt"]:
            line += (
                f" (raw files without a landing receipt, e.g. {numbers['without_receipt'][0]}:"
                " land the export again, or take the file back with `c360 unland`)"
            )
        described.append(line)
    return "the accounts do not balance: " + "; ".join(described)
