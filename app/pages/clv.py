"""Customer lifetime value: what customers have spent, what they are expected to spend
next, who is still a customer, and the valuable ones slipping away."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app import queries, ui, vocabulary

TIERS = list(vocabulary.clv_tiers())

chosen = ui.current_filters()
st.title("Customer lifetime value")
ui.how_to_read(
    "Historical CLV is a customer's net revenue to date; tiers rank customers by it (platinum"
    " is the top slice). Predicted CLV is what the customer is expected to spend in the next"
    " 365 days, from two models fitted on this shop's customers at every build: BG/NBD for"
    " how often they will buy and whether they are still a customer (P(alive): the chance"
    ' they will buy again at all), Gamma-Gamma for what an order will be worth. "Slipping'
    ' away" lists platinum and gold customers whose P(alive) has fallen under one half.'
)
ui.applies(f"country {chosen.country or 'all'} (CLV is lifetime, so the dates do not apply)")

tiers = ui.load(queries.CLV_TIERS, chosen.params)
ui.require_rows(tiers, "No customer has a purchase yet.")
model = ui.load(queries.CLV_MODEL)
not_fitted = model[model["reason"].notna()]
total = tiers["historical_clv"].sum()
predicted = pd.to_numeric(tiers["predicted_clv_365d"], errors="coerce")
tiles = st.columns(4)
tiles[0].metric("Customers with a purchase", ui.count(tiers["customers"].sum()))
tiles[1].metric("Total historical CLV", ui.money(total))
tiles[2].metric("Predicted, next 365 days", ui.money(predicted.sum() if predicted.notna().any() else None))
tiles[3].metric("Average CLV", ui.money(total / tiers["customers"].sum()))
if not not_fitted.empty:
    reasons = "; ".join(sorted({f"{row.model}: {row.reason}" for row in not_fitted.itertuples()}))
    st.warning(ui.plain(f"Predictions are missing: {reasons}"))

values = ui.load(queries.CLV_DISTRIBUTION, chosen.params)
left, right = st.columns(2)
with left:
    st.subheader("Distribution")
    histogram = (
        alt.Chart(values)
        .mark_bar()
        .encode(
            x=alt.X("historical_clv:Q", bin=alt.Bin(maxbins=40), title="Historical CLV"),
            y=alt.Y("count():Q", title="Customers"),
            color=alt.Color("clv_tier:N", title="Tier", sort=TIERS),
            tooltip=[alt.Tooltip("count():Q", title="Customers")],
        )
    )
    st.altair_chart(histogram, width="stretch")
with right:
    st.subheader("Tiers: to date and the next 365 days")
    by_tier = tiers.melt(
        id_vars=["clv_tier"],
        value_vars=["historical_clv", "predicted_clv_365d"],
        var_name="value",
        value_name="amount",
    ).replace({"value": {"historical_clv": "to date", "predicted_clv_365d": "next 365 days"}})
    bars = (
        alt.Chart(by_tier)
        .mark_bar()
        .encode(
            x=alt.X("amount:Q", title="Net revenue", axis=alt.Axis(format=",.0f")),
            y=alt.Y("clv_tier:N", title=None, sort=TIERS),
            yOffset=alt.YOffset("value:N", sort=["to date", "next 365 days"]),
            color=alt.Color("value:N", title=None, sort=["to date", "next 365 days"]),
            tooltip=["clv_tier:N", "value:N", alt.Tooltip("amount:Q", format=",.2f")],
        )
    )
    st.altair_chart(bars, width="stretch")
    ui.table(tiers, "clv_tiers")

st.subheader("Still a customer? P(alive)")
alive = values.dropna(subset=["probability_alive"])
if alive.empty:
    st.info("No prediction: the models could not be fitted (see above).")
else:
    spread = (
        alt.Chart(alive)
        .mark_bar()
        .encode(
            x=alt.X(
                "probability_alive:Q", bin=alt.Bin(step=0.05), title="P(alive)", axis=alt.Axis(format=".0%")
            ),
            y=alt.Y("count():Q", title="Customers"),
            color=alt.Color("clv_tier:N", title="Tier", sort=TIERS),
            tooltip=[alt.Tooltip("count():Q", title="Customers")],
        )
    )
    st.altair_chart(spread, width="stretch")
    st.caption(
        "A customer who bought on one day only is at 100 %: the model lets customers leave only"
        " right after a purchase. Read their tenure beside it."
    )

st.subheader("Valuable and slipping away")
ui.table(ui.load(queries.SLIPPING_AWAY, chosen.params), "slipping_away")

st.subheader("Top customers")
ui.table(ui.load(queries.TOP_CUSTOMERS, chosen.params), "top_customers")

with st.expander("The fitted models"):
    st.caption(
        "Maximum-likelihood estimates at this build, time in days: BG/NBD r and alpha (how often"
        " customers buy while they are customers), a and b (how likely they are to leave after a"
        " purchase); Gamma-Gamma p, q and v (what their orders are worth)."
    )
    ui.table(model, "clv_model_parameters")
