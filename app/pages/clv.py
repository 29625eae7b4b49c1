"""Customer lifetime value: how value is spread, the tiers, and the most valuable customers."""

from __future__ import annotations

import altair as alt
import streamlit as st

from app import queries, ui

chosen = ui.current_filters()
st.title("Customer lifetime value")
ui.how_to_read(
    "Historical CLV is a customer's net revenue to date. Tiers rank customers by it"
    " (platinum is the top slice). Most customers are worth little and a few a lot: the"
    " histogram's long right tail."
)
ui.applies(f"country {chosen.country or 'all'} (CLV is lifetime, so the dates do not apply)")

tiers = ui.load(queries.CLV_TIERS, chosen.params)
ui.require_rows(tiers, "No customer has a purchase yet.")
total = tiers["historical_clv"].sum()
tiles = st.columns(3)
tiles[0].metric("Customers with a purchase", ui.count(tiers["customers"].sum()))
tiles[1].metric("Total historical CLV", ui.money(total))
tiles[2].metric("Average CLV", ui.money(total / tiers["customers"].sum()))

left, right = st.columns(2)
with left:
    st.subheader("Distribution")
    values = ui.load(queries.CLV_DISTRIBUTION, chosen.params)
    histogram = (
        alt.Chart(values)
        .mark_bar()
        .encode(
            x=alt.X("historical_clv:Q", bin=alt.Bin(maxbins=40), title="Historical CLV"),
            y=alt.Y("count():Q", title="Customers"),
            color=alt.Color("clv_tier:N", title="Tier", sort=["platinum", "gold", "silver", "bronze"]),
            tooltip=[alt.Tooltip("count():Q", title="Customers")],
        )
    )
    st.altair_chart(histogram, width="stretch")
with right:
    st.subheader("Tiers")
    bars = (
        alt.Chart(tiers)
        .mark_bar()
        .encode(
            x=alt.X("historical_clv:Q", title="Historical CLV", axis=alt.Axis(format=",.0f")),
            y=alt.Y("clv_tier:N", title=None, sort=["platinum", "gold", "silver", "bronze"]),
            tooltip=[
                "clv_tier:N",
                alt.Tooltip("customers:Q", format=","),
                alt.Tooltip("historical_clv:Q", format=",.2f"),
                alt.Tooltip("average_clv:Q", format=",.2f"),
            ],
        )
    )
    st.altair_chart(bars, width="stretch")
    ui.table(tiers, "clv_tiers")

st.subheader("Top customers")
ui.table(ui.load(queries.TOP_CUSTOMERS, chosen.params), "top_customers")
