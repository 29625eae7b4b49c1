"""Funnel: from visit to purchase, by traffic channel and source, in a session or over a journey."""

from __future__ import annotations

import altair as alt
import streamlit as st

from app import queries, ui

# Each view of channel_funnel, with its one-line definition (as in the mart's YAML).
VIEWS = {
    "journey": (
        "Journeys (people)",
        "People who, within the journey window (var c360_funnel_journey_days, 7 days by default)"
        " of a visit from this channel, viewed a product, added to cart,"
        " began checkout and purchased, in that order, in any session. A cart on Monday and a"
        " purchase on Tuesday count. Each person counts once per channel.",
        "People",
    ),
    "in_session": (
        "In one session",
        "Sessions that did each step and every step before it within that same session (strict:"
        " a cart on Monday and a purchase on Tuesday count for neither session).",
        "Sessions",
    ),
}

st.title("Conversion funnel")
ui.how_to_read(
    "Steps: a visit, a product view, add to cart, checkout, purchase. Step conversion is the"
    " share of the step before; overall, the share of the visits. Channels come from the"
    " visit's UTM medium, sources from its UTM source. Two views count different things:"
    " pick one below."
)
ui.applies("none: the funnel covers all the clickstream holds")

funnel = ui.load(queries.FUNNEL)
ui.require_rows(funnel, "No clickstream yet: the funnel needs web events (this lake has shop exports only).")
view = st.radio(
    "Count", list(VIEWS), format_func=lambda name: VIEWS[name][0], horizontal=True, key="funnel_view"
)
label, definition, unit = VIEWS[view]
st.caption(f"**{label}.** {definition}")

funnel = funnel[funnel["funnel"] == view].drop(columns="funnel")
funnel["traffic"] = funnel["channel"].fillna("(none)") + " / " + funnel["utm_source"].fillna("(none)")
purchases = funnel[funnel["step"] == "purchase"].sort_values("overall_conversion_rate", ascending=False)
picked = st.selectbox("Channel / source", purchases["traffic"].tolist(), key="funnel_traffic")
shown = funnel[funnel["traffic"] == picked].sort_values("step_number")

first, last = shown.iloc[0], shown.iloc[-1]
tiles = st.columns(3)
tiles[0].metric(f"{unit} with a visit", ui.count(first["reached"]))
tiles[1].metric(f"{unit} reaching {last['step']}", ui.count(last["reached"]))
tiles[2].metric("Overall conversion", ui.percent(last["overall_conversion_rate"]))

chart = (
    alt.Chart(shown)
    .mark_bar()
    .encode(
        x=alt.X("reached:Q", title=unit),
        y=alt.Y("step:N", title=None, sort=alt.EncodingSortField("step_number")),
        tooltip=[
            "step:N",
            alt.Tooltip("reached:Q", title=unit, format=","),
            alt.Tooltip("step_conversion_rate:Q", title="Of the step before", format=".1%"),
            alt.Tooltip("overall_conversion_rate:Q", title="Of the visits", format=".1%"),
        ],
    )
)
st.altair_chart(chart, width="stretch")

st.subheader(f"{unit} reaching a purchase, by channel / source")
compared = (
    alt.Chart(purchases)
    .mark_bar()
    .encode(
        x=alt.X(
            "overall_conversion_rate:Q",
            title=f"Share of {unit.lower()} with a purchase",
            axis=alt.Axis(format="%"),
        ),
        y=alt.Y("traffic:N", title=None, sort="-x"),
        tooltip=["traffic:N", alt.Tooltip("overall_conversion_rate:Q", title="Conversion", format=".2%")],
    )
)
st.altair_chart(compared, width="stretch")
ui.table(funnel.drop(columns="traffic"), f"channel_funnel_{view}")
