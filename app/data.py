"""The app's one data-access module: read-only queries on the published DuckDB copy.

The app never opens the file dbt writes (DuckDB allows one writer per file); publish
replaces the copy with a rename, so a new connection is opened whenever the file changes.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from c360.settings import DEFAULT_PUBLISHED


def published_path() -> Path:
    return Path(os.environ.get("C360_PUBLISHED", DEFAULT_PUBLISHED)).resolve()


def _query(path: Path, sql: str) -> pd.DataFrame:
    if not path.exists():
        raise FileNotFoundError(f"{path}: nothing published yet; run `c360 run` first")
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).df()


def monthly_revenue(path: Path) -> pd.DataFrame:
    return _query(
        path,
        "select month_start, orders, customers, gross_revenue, returned_revenue, net_revenue,"
        " average_order_value, net_revenue_mom_growth"
        " from analytics.monthly_revenue order by month_start",
    )


def kpis(path: Path) -> dict[str, float]:
    """Headline numbers over the whole history, from the monthly_revenue mart."""
    frame = _query(
        path,
        "select sum(net_revenue) as net_revenue, sum(orders) as orders,"
        " sum(net_revenue) / nullif(sum(orders), 0) as average_order_value,"
        " count(*) as months"
        " from analytics.monthly_revenue",
    )
    row = frame.iloc[0]
    return {name: float(row[name]) if pd.notna(row[name]) else 0.0 for name in frame.columns}
