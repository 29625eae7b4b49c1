"""Churn risk: how many customers are drifting away, and which valuable ones to call first."""

from __future__ import annotations

import altair as alt
import streamlit as st

from app import queries, ui, vocabulary

BANDS = vocabulary.churn_bands()  # the riskiest first

chosen = ui.current_filters()
st.title("Churn risk")
ui.how_to_read(
    "The churn score (0-100) grows with the time since a customer's last purchase against"
    " their usual interval between purchases, and with falling site visits. Bands cut the"
    " score into low, medium and high. Beside the rules, two probabilities from the BG/NBD"
    " model fitted on this shop's own customers: no purchase in the next 90 days, and churn"
    " (gone for good: 1 - P(alive), which counts a one-time buyer as still a customer). The"
    " backtest says how well each ranked, at a past date, the customers who then did not buy:"
    " AUC 0.5 is chance, 1 is perfect; a top-decile lift of 2 means the riskiest tenth churned"
    " at twice the overall rate. The list shows high-risk customers by lifetime value: the"
    " ones most worth winning back."
)
ui.applies(f"country {chosen.country or 'all'} (scores are as of the last build)")

bands = ui.load(queries.CHURN_BANDS, chosen.params)
ui.require_rows(bands, "No customer has a purchase yet.")
by_band = bands.set_index("churn_band")
tiles = st.columns(len(BANDS))
for tile, band in zip(tiles, BANDS, strict=True):
    customers = by_band["customers"].get(band, 0)
    value = by_band["historical_clv"].get(band, 0)
    quiet = by_band["average_no_purchase_probability_90d"].get(band)
    tile.metric(
        f"{band.capitalize()} risk",
        ui.count(customers),
        f"{ui.money(value)} lifetime value · {ui.percent(quiet)} likely not to buy in 90 days",
        delta_color="off",
        delta_arrow="off",
    )

bars = (
    alt.Chart(bands)
    .mark_bar()
    .encode(
        x=alt.X("customers:Q", title="Customers"),
        y=alt.Y("churn_band:N", title=None, sort=list(BANDS)),
        color=alt.Color(
            "churn_band:N",
            scale=alt.Scale(domain=list(BANDS), range=["#d62728", "#ff7f0e", "#2ca02c"]),
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

st.subheader("How well each measure ranks who leaves")
backtest = ui.load_optional(queries.CHURN_BACKTEST)
if backtest is None or backtest.empty:
    st.info("No backtest yet: run `c360 clv validate` to measure both against what customers did.")
else:
    first = backtest.iloc[0]
    st.caption(
        f"Backtest of {ui.day(first['calibration_end'])}: of {ui.count(first['customers'])} customers,"
        f" {ui.percent(first['churned_share'])} did not buy in the next"
        f" {ui.count(first['churn_window_days'])} days (measured {ui.plain(first['measured_at'])})."
    )
    ui.table(backtest[["measure", "auc", "top_decile_lift"]], "churn_backtest")

st.subheader("High-risk customers with the most value")
ui.table(ui.load(queries.AT_RISK, chosen.params), "at_risk_customers")
