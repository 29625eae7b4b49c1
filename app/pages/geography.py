"""Geography: where the revenue comes from."""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import streamlit as st

from app import queries, ui

# Natural Earth land outlines (world-atlas, vendored: the app draws its map offline).
LAND = json.loads((Path(__file__).parents[1] / "assets" / "land-110m.json").read_text("utf-8"))

chosen = ui.current_filters()
st.title("Geography")
ui.how_to_read(
    "Each circle is a country, sized by net revenue in the chosen months; hover for its"
    " orders. A customer who moved counts where they lived at each order; orders from an"
    " unknown country are in the table as XX, without a circle."
)
ui.applies(
    f"months from {chosen.start_date:%Y-%m} to {chosen.end_date:%Y-%m}, country {chosen.country or 'all'}"
)

countries = ui.load(queries.GEO_REVENUE, chosen.params)
ui.require_rows(countries, "No orders in these months.")
top = countries.iloc[0]
tiles = st.columns(3)
tiles[0].metric("Countries with orders", ui.count(len(countries)))
tiles[1].metric(
    "Top country",
    str(top["country_name"]),
    ui.money(top["net_revenue"]),
    delta_color="off",
    delta_arrow="off",
)
tiles[2].metric("Net revenue", ui.money(countries["net_revenue"].sum()))

land = alt.Chart(alt.InlineData(values=LAND, format=alt.TopoDataFormat(type="topojson", feature="land")))
background = land.mark_geoshape(fill="#e8e8e8", stroke="white")
located = countries.dropna(subset=["latitude", "longitude"])
circles = (
    alt.Chart(located)
    .mark_circle(opacity=0.75, color="#1f77b4")
    .encode(
        longitude="longitude:Q",
        latitude="latitude:Q",
        size=alt.Size("net_revenue:Q", title="Net revenue", scale=alt.Scale(range=[30, 2000])),
        tooltip=[
            "country_name:N",
            "region:N",
            alt.Tooltip("net_revenue:Q", title="Net revenue", format=",.2f"),
            alt.Tooltip("orders:Q", format=","),
        ],
    )
)
st.altair_chart((background + circles).project("equalEarth").properties(height=460), width="stretch")
ui.table(countries.drop(columns=["latitude", "longitude"]), "geo_revenue")
