"""RFM: the segments by size and value, the recency x frequency grid, and a segment's members."""

from __future__ import annotations

import altair as alt
import streamlit as st

from app import queries, ui, vocabulary

chosen = ui.current_filters()
st.title("RFM segments")
ui.how_to_read(
    "Each customer scores 1-5 on recency, frequency and monetary value (5 = best): one plus"
    " five times the share of customers with a worse value, so equal customers score alike"
    " and a one-time buyer has frequency 1. The recency and frequency scores name the segment,"
    " on the ten-segment grid of the open RFM tutorials (Champions: R 5, F 4-5; Hibernating:"
    " R 1-2, F 1-2). In the grid, the top right holds the recent, frequent buyers; the bottom"
    " left the lapsed ones."
)
ui.applies(f"country {chosen.country or 'all'} (scores are as of the last build)")

segments = ui.load(queries.RFM_SEGMENTS, chosen.params)
ui.require_rows(segments, "No customer has a purchase yet.")
tiles = st.columns(3)
tiles[0].metric("Customers scored", ui.count(segments["customers"].sum()))
tiles[1].metric("Segments", ui.count(len(segments)))
best = vocabulary.best_rfm_segment()
tiles[2].metric(best, ui.count(segments.loc[segments["segment"] == best, "customers"].sum()))

left, right = st.columns(2)
with left:
    st.subheader("Segments: size and value")
    bars = (
        alt.Chart(segments)
        .mark_bar()
        .encode(
            x=alt.X("customers:Q", title="Customers"),
            y=alt.Y("segment:N", title=None, sort="-x"),
            color=alt.Color("monetary:Q", title="Revenue", scale=alt.Scale(scheme="blues")),
            tooltip=[
                "segment:N",
                alt.Tooltip("customers:Q", format=","),
                alt.Tooltip("monetary:Q", title="Revenue", format=",.2f"),
                alt.Tooltip("average_recency_days:Q", title="Avg days since purchase", format=".0f"),
            ],
        )
    )
    st.altair_chart(bars, width="stretch")
with right:
    st.subheader("Recency x frequency")
    grid = ui.load(queries.RFM_GRID, chosen.params)
    heatmap = (
        alt.Chart(grid)
        .mark_rect()
        .encode(
            x=alt.X("recency_score:O", title="Recency score (5 = most recent)"),
            y=alt.Y("frequency_score:O", title="Frequency score", sort="descending"),
            color=alt.Color("customers:Q", title="Customers", scale=alt.Scale(scheme="greens")),
            tooltip=["recency_score:O", "frequency_score:O", alt.Tooltip("customers:Q", format=",")],
        )
    )
    st.altair_chart(heatmap, width="stretch")

st.subheader("Members of a segment")
segment = st.selectbox("Segment", segments["segment"].tolist(), key="rfm_segment")
ui.table(ui.load(queries.RFM_MEMBERS, chosen.params, segment=segment), "rfm_members")
