"""Cohorts: of the customers who first bought in a month, the share who bought again in each later month."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app import queries, ui

chosen = ui.current_filters()
st.title("Cohort retention")
ui.how_to_read(
    "Each row is a cohort: the customers whose first purchase fell in that month. Each"
    " column is months since then; a cell is the share of the cohort who bought in that"
    " month. Darker is better; month 0 is always 100 %."
)
ui.applies("cohort months in the chosen dates (all countries and channels)")

cohorts = ui.load(queries.COHORTS, chosen.params)
ui.require_rows(cohorts, "No cohort starts in these months.")
# Month 1 of a cohort is over only before the month holding the last day of data.
partial = ui.load(queries.PARTIAL_MONTH)
active_month = pd.to_datetime(cohorts["cohort_month"]) + pd.DateOffset(months=1)
complete = active_month < pd.to_datetime(partial["month_start"]).min() if not partial.empty else True
month_one = cohorts[(cohorts["months_since_first_order"] == 1) & complete].sort_values("cohort_month")
tiles = st.columns(3)
tiles[0].metric("Cohorts", ui.count(cohorts["cohort_month"].nunique()))
tiles[1].metric("Customers in them", ui.count(cohorts.drop_duplicates("cohort_month")["cohort_size"].sum()))
tiles[2].metric(
    "Month-1 retention, latest complete cohort",
    ui.percent(month_one["retention_rate"].iloc[-1]) if not month_one.empty else "–",
)

heatmap = (
    alt.Chart(cohorts)
    .mark_rect()
    .encode(
        x=alt.X("months_since_first_order:O", title="Months since first purchase"),
        y=alt.Y("yearmonth(cohort_month):O", title="Cohort"),
        color=alt.Color(
            "retention_rate:Q",
            title="Retention",
            scale=alt.Scale(scheme="blues"),
            legend=alt.Legend(format="%"),
        ),
        tooltip=[
            alt.Tooltip("yearmonth(cohort_month):O", title="Cohort"),
            alt.Tooltip("months_since_first_order:O", title="Month"),
            alt.Tooltip("retention_rate:Q", title="Retention", format=".1%"),
            alt.Tooltip("active_customers:Q", title="Active", format=","),
            alt.Tooltip("cohort_size:Q", title="Cohort size", format=","),
        ],
    )
)
st.altair_chart(heatmap, width="stretch")
ui.table(cohorts, "cohort_retention")
