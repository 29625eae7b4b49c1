"""c360 Streamlit app: headline KPIs and monthly revenue from the published warehouse."""

from __future__ import annotations

import altair as alt
import streamlit as st

from app import data

st.set_page_config(page_title="c360 · Customer 360", page_icon="📈", layout="wide")
st.title("c360 · Customer 360")

path = data.published_path()
try:
    kpis = data.kpis(path)
    revenue = data.monthly_revenue(path)
except FileNotFoundError as exc:
    st.error(str(exc))
    st.stop()

st.caption(f"Published warehouse: {path}")
net, orders, aov, months = st.columns(4)
net.metric("Net revenue", f"{kpis['net_revenue']:,.2f}")
orders.metric("Orders", f"{kpis['orders']:,.0f}")
aov.metric("Average order value", f"{kpis['average_order_value']:,.2f}")
months.metric("Months", f"{kpis['months']:,.0f}")

st.subheader("Monthly revenue")
chart = (
    alt.Chart(revenue)
    .mark_bar()
    .encode(
        x=alt.X("yearmonth(month_start):T", title="Month"),
        y=alt.Y("net_revenue:Q", title="Net revenue"),
        tooltip=["month_start:T", "orders:Q", "customers:Q", "net_revenue:Q", "net_revenue_mom_growth:Q"],
    )
)
st.altair_chart(chart, width="stretch")
st.dataframe(revenue, hide_index=True, width="stretch")
