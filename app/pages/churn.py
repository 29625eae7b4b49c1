"""Churn risk: how many customers are drifting away, and which valuable ones to call first."""

from __future__ import annotations

import altair as alt
import streamlit as st

from app import queries, ui

chosen = ui.current_filters()
st.title("Churn risk")
ui.how_to_read(
    "The churn score (0-100) grows with the time since a customer's last purchase against"
    " their usual interval between purchases, and with falling site visits. Bands cut the"
    " score into low, medium and high. The list shows high-risk customers by lifetime"
    " value: the ones most worth winning back."
)
ui.applies(f"country {chosen.country or 'all'} (scores are as of the last build)")

bands = ui.load(queries.CHURN_BANDS, chosen.params)
ui.require_rows(bands, "No customer has a purchase yet.")
by_band = bands.set_index("churn_band")
tiles = st.columns(3)
for tile, band in zip(tiles, ("high", "medium", "low"), strict=True):
    customers = by_band["customers"].get(band, 0)
    value = by_band["historical_clv"].get(band, 0)
    tile.metric(
        f"{band.capitalize()} risk",
        ui.count(customers),
        f"{ui.money(value)} lifetime value",
        delta_color="off",
        delta_arrow="off",
    )

bars = (
    alt.Chart(bands)
    .mark_bar()
    .encode(
        x=alt.X("customers:Q", title="Customers"),
        y=alt.Y("churn_band:N", title=None, sort=["high", "medium", "low"]),
        color=alt.Color(
            "churn_band:N",
            scale=alt.Scale(domain=["high", "medium", "low"], range=["#d62728", "#ff7f0e", "#2ca02c"]),
            legend=None,
        ),
        tooltip=[
            "churn_band:N",
            alt.Tooltip("customers:Q", format=","),
            alt.Tooltip("historical_clv:Q", title="Lifetime value", format=",.2f"),
        ],
    )
)
st.altair_chart(bars, width="stretch")

st.subheader("High-risk customers with the most value")
ui.table(ui.load(queries.AT_RISK, chosen.params), "at_risk_customers")
