"""Overview: the headline numbers of the chosen days against the days before, and revenue by month."""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from app import queries, ui

chosen = ui.current_filters()
st.title("Overview")
ui.how_to_read(
    "Each tile is the chosen period; the small figure is its change against the period of"
    " the same length just before. Revenue is net of returns, each return taken off on the"
    " day it happened (so a closed month never changes); orders exclude cancelled ones."
)
ui.applies(f"{chosen.describe()} (the monthly chart shows every country and channel)")


def _period(first: date, last: date) -> pd.Series:
    """The tiles' metrics over the days ``first`` to ``last``, for the chosen filters."""
    return ui.load(queries.KPIS, {**chosen.params, "from_date": first, "to_date": last}).iloc[0]


# The chosen days, and as many days just before them.
kpis = {
    "current": _period(chosen.start_date, chosen.end_date),
    "prior": _period(chosen.params["prior_start"], chosen.start_date - timedelta(days=1)),
}


def _value(period: str, name: str) -> float | None:
    value = kpis[period].get(name)
    return None if value is None or pd.isna(value) else float(value)


def _delta(name: str) -> str | None:
    now, before = _value("current", name), _value("prior", name)
    if now is None or not before:
        return None
    return ui.percent(now / before - 1, signed=True)


tiles = st.columns(4)
tiles[0].metric("Net revenue", ui.money(_value("current", "net_revenue") or 0), _delta("net_revenue"))
tiles[1].metric("Orders", ui.count(_value("current", "orders") or 0), _delta("orders"))
tiles[2].metric("Customers", ui.count(_value("current", "customers") or 0), _delta("customers"))
tiles[3].metric(
    "Average order value", ui.money(_value("current", "average_order_value")), _delta("average_order_value")
)

st.subheader("Net revenue by month")
monthly = ui.load(queries.MONTHLY_REVENUE, chosen.params)
if monthly.empty:
    st.info("No orders in these months.")
else:
    # The month holding "today" is not over: grey and labelled, never a fall. A month with
    # nothing to compare with (no revenue the month before) is neither a rise nor a fall.
    growth = monthly["net_revenue_mom_growth"]
    trend = pd.Series("grew", index=monthly.index)
    trend[growth.lt(0)] = "fell"
    trend[growth.isna()] = "nothing to compare"
    trend[monthly["is_partial"].astype(bool)] = "partial month"
    monthly = monthly.assign(trend=trend)
    bars = (
        alt.Chart(monthly)
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month_start):T", title="Month"),
            y=alt.Y(
                "net_revenue:Q",
                title=f"Net revenue ({ui.currency_symbol().strip()})",
                axis=alt.Axis(format=",.0f"),
            ),
            color=alt.Color(
                "trend:N",
                title=None,
                scale=alt.Scale(
                    domain=["grew", "fell", "nothing to compare", "partial month"],
                    range=["#1f77b4", "#d62728", "#9ecae1", "#bdbdbd"],
                ),
            ),
            tooltip=[
                alt.Tooltip("yearmonth(month_start):T", title="Month"),
                alt.Tooltip("trend:N", title="Against the month before"),
                alt.Tooltip("net_revenue:Q", title="Net revenue", format=",.2f"),
                alt.Tooltip("net_revenue_mom_growth:Q", title="vs month before", format="+.1%"),
                alt.Tooltip("orders:Q", title="Orders", format=","),
                alt.Tooltip("customers:Q", title="Customers", format=","),
            ],
        )
    )
    st.altair_chart(bars, width="stretch")
    st.caption(
        "Red bars: revenue fell against the month before (hover a bar for its growth); light"
        " blue: the month before had no revenue to compare with. The grey bar is the month"
        " holding the last day of data, not over yet: not comparable."
    )
ui.table(monthly, "monthly_revenue")
