"""Demand: the daily units of one product or one category, with their rolling means."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app import queries, ui

chosen = ui.current_filters()
st.title("Demand")
ui.how_to_read(
    "Bars are units sold per day; the lines are the 7-day and 28-day rolling means the"
    " demand mart keeps for forecasting (each day's mean of the days before it). Holidays"
    " are marked in the tooltip."
)
ui.applies(f"days {chosen.start_date:%Y-%m-%d} to {chosen.end_date:%Y-%m-%d} (all countries and channels)")

products = ui.load(queries.DEMAND_PRODUCTS)
ui.require_rows(products, "No product has sold yet.")
by = st.radio("Show", ["Product", "Category"], horizontal=True, key="demand_by")
if by == "Product":
    names = dict(
        zip(
            products["product_id"],
            products["product_name"] + " (" + products["product_id"] + ")",
            strict=True,
        )
    )
    product = st.selectbox(
        "Product (best sellers first)", list(names), format_func=names.__getitem__, key="demand_product"
    )
    series = ui.load(queries.PRODUCT_DEMAND, chosen.params, product_id=product)
    label = names[product]
else:
    category = st.selectbox("Category", sorted(products["category"].dropna().unique()), key="demand_category")
    series = ui.load(queries.CATEGORY_DEMAND, chosen.params, category=category)
    label = category

ui.require_rows(series, f"{label}: no sales in these days.")
tiles = st.columns(3)
tiles[0].metric("Units sold", ui.count(series["units"].sum()))
tiles[1].metric("Net revenue", ui.money(series["net_revenue"].sum()))
tiles[2].metric("Busiest day", ui.day(series.loc[series["units"].idxmax(), "date_day"]))

series["date_day"] = pd.to_datetime(series["date_day"])
base = alt.Chart(series).encode(x=alt.X("date_day:T", title="Day"))
bars = base.mark_bar(opacity=0.5, color="#9e9e9e").encode(
    y=alt.Y("units:Q", title="Units"),
    tooltip=[
        alt.Tooltip("date_day:T", format="%Y-%m-%d"),
        alt.Tooltip("units:Q", format=","),
        *(["is_holiday:N"] if "is_holiday" in series else []),
    ],
)
means = (
    base.transform_fold(["units_mean_7d", "units_mean_28d"], as_=["mean", "value"])
    .mark_line()
    .encode(
        y="value:Q",
        color=alt.Color(
            "mean:N",
            title="Rolling mean",
            scale=alt.Scale(domain=["units_mean_7d", "units_mean_28d"], range=["#ff7f0e", "#d62728"]),
        ),
    )
)
st.altair_chart((bars + means).properties(height=380), width="stretch")
ui.table(series, "demand")
