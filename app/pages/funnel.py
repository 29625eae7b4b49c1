"""Funnel: from session to purchase, by traffic channel and source."""

from __future__ import annotations

import altair as alt
import streamlit as st

from app import queries, ui

st.title("Conversion funnel")
ui.how_to_read(
    "Sessions that reached each step: any page, a product view, add to cart, checkout,"
    " purchase. Step conversion is the share of the step before; overall, the share of all"
    " sessions. Channels come from the visit's UTM medium, sources from its UTM source."
)
ui.applies("none: the funnel covers every session the clickstream holds")

funnel = ui.load(queries.FUNNEL)
ui.require_rows(funnel, "No clickstream yet: the funnel needs web events (this lake has shop exports only).")
funnel["traffic"] = funnel["channel"].fillna("(none)") + " / " + funnel["utm_source"].fillna("(none)")
purchases = funnel[funnel["step"] == "purchase"].sort_values("overall_conversion_rate", ascending=False)
picked = st.selectbox("Channel / source", purchases["traffic"].tolist(), key="funnel_traffic")
shown = funnel[funnel["traffic"] == picked].sort_values("step_number")

first, last = shown.iloc[0], shown.iloc[-1]
tiles = st.columns(3)
tiles[0].metric("Sessions", ui.count(first["sessions"]))
tiles[1].metric(f"Reached {last['step']}", ui.count(last["sessions"]))
tiles[2].metric("Overall conversion", ui.percent(last["overall_conversion_rate"]))

chart = (
    alt.Chart(shown)
    .mark_bar()
    .encode(
        x=alt.X("sessions:Q", title="Sessions"),
        y=alt.Y("step:N", title=None, sort=alt.EncodingSortField("step_number")),
        tooltip=[
            "step:N",
            alt.Tooltip("sessions:Q", format=","),
            alt.Tooltip("step_conversion_rate:Q", title="Of the step before", format=".1%"),
            alt.Tooltip("overall_conversion_rate:Q", title="Of all sessions", format=".1%"),
        ],
    )
)
st.altair_chart(chart, width="stretch")

st.subheader("Sessions ending in a purchase, by channel / source")
compared = (
    alt.Chart(purchases)
    .mark_bar()
    .encode(
        x=alt.X("overall_conversion_rate:Q", title="Sessions with a purchase", axis=alt.Axis(format="%")),
        y=alt.Y("traffic:N", title=None, sort="-x"),
        tooltip=["traffic:N", alt.Tooltip("overall_conversion_rate:Q", title="Conversion", format=".2%")],
    )
)
st.altair_chart(compared, width="stretch")
ui.table(funnel.drop(columns="traffic"), "channel_funnel")
