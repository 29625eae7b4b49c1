"""The names the marts use for tiers, bands and segments, read where they are defined.

The CLV tiers and churn bands are dbt vars (``c360_clv_tiers``, ``c360_churn_bands`` in
``dbt/dbt_project.yml``); the RFM segments are the ``rfm_segment_map`` seed. The models and
their tests read the same definitions, so renaming a tier there renames it everywhere.
"""

from __future__ import annotations

import csv
from functools import cache

import yaml

from c360.settings import DBT_PROJECT_DIR


@cache
def _vars() -> dict[str, object]:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text("utf-8"))
    return dict(project.get("vars") or {})


def _names(var: str) -> tuple[str, ...]:
    entries = _vars()[var]
    assert isinstance(entries, list), f"var {var} is not a list"
    return tuple(str(entry["name"]) for entry in entries)


def clv_tiers() -> tuple[str, ...]:
    """The CLV tiers, the most valuable first (platinum, gold, silver, bronze)."""
    return _names("c360_clv_tiers")


def churn_bands() -> tuple[str, ...]:
    """The churn bands, the riskiest first (high, medium, low)."""
    return tuple(reversed(_names("c360_churn_bands")))


@cache
def best_rfm_segment() -> str:
    """The segment of the best recency and frequency scores (Champions)."""
    with (DBT_PROJECT_DIR / "seeds" / "rfm_segment_map.csv").open(encoding="utf-8") as seed:
        rows = list(csv.DictReader(seed))
    best = max(rows, key=lambda row: (int(row["recency_score"]), int(row["frequency_score"])))
    return best["segment"]
