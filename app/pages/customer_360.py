"""Customer 360: one customer's profile, scores, orders, sessions and events."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app import queries, ui

st.title("Customer 360")
ui.how_to_read(
    "Search by customer id, name or e-mail, then pick the customer. The profile is the"
    " current one; scores are as of the last build. P(alive), expected purchases and"
    " predicted value come from the CLV models fitted at that build (see the CLV page)."
    " Events are the clickstream of every device stitched to the customer."
)

term = st.text_input(
    "Customer id, name or e-mail", key="customer_term", value=st.query_params.get("customer", "")
)
if not term.strip():
    st.info("Type at least part of a name or e-mail, or a customer id.")
    st.stop()
found = ui.load(queries.CUSTOMER_SEARCH, term=term.strip(), pattern=f"%{term.strip().lower()}%")
if found.empty:
    st.warning(f"No customer matches {ui.plain(repr(term))}.")
    st.stop()
labels = {
    row.customer_id: f"{row.first_name or ''} {row.last_name or ''} · {row.customer_id}"
    f" · {row.email or 'no e-mail'}"
    for row in found.itertuples()
}
customer_id = st.selectbox(
    f"{len(found)} customer(s) found", list(labels), format_func=labels.__getitem__, key="customer_pick"
)
st.query_params["customer"] = customer_id  # a link to this view opens this customer

profile = ui.load(queries.CUSTOMER_PROFILE, customer_id=customer_id).iloc[0]
name = f"{profile['first_name'] or ''} {profile['last_name'] or ''}".strip()
st.subheader(ui.plain(name or customer_id))
st.caption(
    f"{ui.plain(customer_id)} · {ui.plain(profile['email'] or 'no e-mail')}"
    f" · {ui.plain(profile['city'] or '?')}, {ui.plain(profile['country_code'] or '?')}"
    f" · customer since {ui.day(profile['signup_at'])}"
    + (" · inferred (seen in orders or events before the customer export)" if profile["is_inferred"] else "")
)
tiles = st.columns(5)
tiles[0].metric(
    "Lifetime value",
    ui.money(profile["historical_clv"]),
    ui.plain(profile["clv_tier"]),
    delta_color="off",
    delta_arrow="off",
)
tiles[1].metric("Orders", ui.count(profile["orders"]))
tiles[2].metric("RFM segment", ui.plain(profile["rfm_segment"]))
tiles[3].metric(
    "Churn risk",
    ui.plain(profile["churn_band"]),
    f"score {ui.score(profile['churn_score'])}" if pd.notna(profile["churn_score"]) else None,
    delta_color="off",
    delta_arrow="off",
)
tiles[4].metric("Sessions", ui.count(profile["sessions"]))
ahead = st.columns(5)
ahead[0].metric("Still a customer, P(alive)", ui.percent(profile["probability_alive"]))
ahead[1].metric(
    "Expected purchases, next 365 days",
    "–"
    if pd.isna(profile["expected_purchases_365d"])
    else f"{float(profile['expected_purchases_365d']):.2f}",
)
ahead[2].metric("Predicted value, next 365 days", ui.money(profile["predicted_clv_365d"]))
ahead[3].metric("No purchase in the next 90 days", ui.percent(profile["no_purchase_probability_90d"]))
ahead[4].metric("Churn probability (gone for good)", ui.percent(profile["churn_probability"]))

orders_tab, sessions_tab, events_tab = st.tabs(["Orders", "Sessions", "Event timeline"])
with orders_tab:
    ui.table(ui.load(queries.CUSTOMER_ORDERS, customer_id=customer_id), "customer_orders")
with sessions_tab:
    ui.table(ui.load(queries.CUSTOMER_SESSIONS, customer_id=customer_id), "customer_sessions")
with events_tab:
    events = ui.load(queries.CUSTOMER_EVENTS, customer_id=customer_id)
    if not events.empty:
        timeline = (
            alt.Chart(events.assign(occurred_at=pd.to_datetime(events["occurred_at"])))
            .mark_tick(thickness=2, size=18)
            .encode(
                x=alt.X("occurred_at:T", title="When"),
                y=alt.Y("event_type:N", title=None),
                color=alt.Color("event_type:N", legend=None),
                tooltip=[
                    alt.Tooltip("occurred_at:T", format="%Y-%m-%d %H:%M"),
                    "event_type:N",
                    "page_url:N",
                    "product_id:N",
                ],
            )
        )
        st.altair_chart(timeline, width="stretch")
    ui.table(events, "customer_events")
with st.expander("Full profile"):
    st.json({key: (None if pd.isna(value) else str(value)) for key, value in profile.items()})
