"""Products: the performance matrix, and what sells together."""

from __future__ import annotations

import altair as alt
import streamlit as st

from app import queries, ui

st.title("Products")
ui.how_to_read(
    "Each dot is a product: net revenue across, revenue growth (recent window against the"
    " one before) up. Stars sell a lot and grow; cash cows sell a lot and do not; question"
    " marks grow from little; dogs do neither. Affinity: lift above 1 means two products"
    " are bought together more often than chance would have it."
)
ui.applies("none: product figures cover the whole history")

matrix = ui.load(queries.PRODUCT_MATRIX)
ui.require_rows(matrix, "No product has sold yet.")
counts = matrix["quadrant"].value_counts()
tiles = st.columns(4)
for tile, quadrant in zip(tiles, ("star", "cash_cow", "question_mark", "dog"), strict=True):
    tile.metric(quadrant.replace("_", " ").capitalize() + "s", ui.count(counts.get(quadrant, 0)))

dots = (
    alt.Chart(matrix[matrix["net_revenue"] > 0])  # a log axis: products that sold
    .mark_circle(opacity=0.75)
    .encode(
        x=alt.X(
            "net_revenue:Q",
            title="Net revenue (log scale)",
            scale=alt.Scale(type="log"),
            axis=alt.Axis(format="~s"),
        ),
        y=alt.Y("revenue_growth:Q", title="Revenue growth", axis=alt.Axis(format="%")),
        color=alt.Color(
            "quadrant:N",
            title="Quadrant",
            scale=alt.Scale(
                domain=["star", "cash_cow", "question_mark", "dog"],
                range=["#2ca02c", "#1f77b4", "#ff7f0e", "#7f7f7f"],
            ),
        ),
        size=alt.Size("units_sold:Q", title="Units", legend=None),
        tooltip=[
            "product_name:N",
            "category:N",
            "quadrant:N",
            alt.Tooltip("net_revenue:Q", format=",.2f"),
            alt.Tooltip("revenue_growth:Q", format="+.1%"),
            alt.Tooltip("return_rate:Q", format=".1%"),
            alt.Tooltip("view_to_purchase_rate:Q", title="Viewers who bought", format=".1%"),
        ],
    )
)
st.altair_chart(dots, width="stretch")
ui.table(matrix, "product_performance", height=300)

st.subheader("Bought together")
pairs = ui.load(queries.TOP_PAIRS)
left, right = st.columns(2)
with left:
    st.caption("The pairs with the highest lift")
    ui.table(pairs, "top_pairs")
with right:
    names = dict(
        zip(matrix["product_id"], matrix["product_name"] + " (" + matrix["product_id"] + ")", strict=True)
    )
    product = st.selectbox("Product", list(names), format_func=names.__getitem__, key="affinity_product")
    st.caption("Customers who bought it also bought")
    ui.table(ui.load(queries.BOUGHT_TOGETHER, product_id=product), "bought_together")
