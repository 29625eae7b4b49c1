"""Pipeline health: the last runs from the run ledger, and what one of them did."""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app import queries, ui
from c360.pipeline.document import step_output

st.title("Pipeline health")
ui.how_to_read(
    "One row per `c360 run` (newest first) from the run ledger the build keeps. Pick a run"
    " to see its steps, the rows in each layer, the accounts of every source (received ="
    " quarantined + unlanded + accepted + rejected + duplicates), the rows staging"
    " rejected by reason, and the tests that failed. Each build writes the ledger, so the"
    " newest row is the run that built this warehouse (status built; its gate, publish and"
    " report come after, in the lake's run document)."
)

runs = ui.load(queries.RUNS)
for moment in ("started_at", "finished_at"):  # ISO text in the run documents
    runs[moment] = pd.to_datetime(runs[moment], utc=True, errors="coerce").dt.tz_localize(None)
ui.require_rows(runs, "The run ledger is empty: no `c360 run` has built this warehouse yet.")

latest = runs.iloc[0]
tiles = st.columns(4)
tiles[0].metric(
    "Last run", str(latest["status"]), ui.day(latest["started_at"]), delta_color="off", delta_arrow="off"
)
tiles[1].metric("Runs in the ledger", ui.count(len(runs)))
tiles[2].metric("Failed runs", ui.count((runs["status"] == "failed").sum()))
seconds = pd.to_numeric(runs["seconds"], errors="coerce")
tiles[3].metric("Last run took", f"{float(seconds.iloc[0]):,.1f} s" if pd.notna(seconds.iloc[0]) else "–")

durations = (
    alt.Chart(runs.assign(seconds=seconds))
    .mark_bar()
    .encode(
        x=alt.X("started_at:T", title="Started"),
        y=alt.Y("seconds:Q", title="Seconds"),
        color=alt.Color(
            "status:N",
            scale=alt.Scale(
                domain=["published", "nothing new", "built", "failed"],
                range=["#2ca02c", "#9ecae1", "#1f77b4", "#d62728"],
            ),
        ),
        tooltip=["run_id:N", "status:N", "failed_step:N", alt.Tooltip("seconds:Q", format=",.1f")],
    )
)
st.altair_chart(durations, width="stretch")
ui.table(runs.drop(columns="document"), "run_ledger")

st.subheader("One run")
run_id = st.selectbox("Run", runs["run_id"].tolist(), key="health_run")
document: dict[str, Any] = json.loads(runs.loc[runs["run_id"] == run_id, "document"].iloc[0])


steps = pd.DataFrame(
    [
        {
            "step": entry["name"],
            "status": entry["status"],
            "seconds": entry.get("seconds"),
            "error": entry.get("error"),
        }
        for entry in document.get("steps", [])
    ]
)
left, right = st.columns(2)
with left:
    st.caption("Steps")
    ui.table(steps, f"steps_{run_id}")
with right:
    layers = step_output(document, "publish").get("layer_rows") or {}
    st.caption("Rows per layer (models in it, rows in all)")
    ui.table(
        pd.DataFrame(
            [
                {"layer": layer, "models": len(models), "rows": sum(models.values())}
                for layer, models in layers.items()
            ]
        ),
        f"layer_rows_{run_id}",
    )

build = step_output(document, "build")
accounts = build.get("accounts") or {}
st.caption("Accounts per source")
ui.table(
    pd.DataFrame([{"source": source, **numbers} for source, numbers in accounts.items()]).drop(
        columns=["without_receipt", "quarantined_by_reason"], errors="ignore"
    ),
    f"accounts_{run_id}",
)
st.caption("Rows quarantined when landing, by reason (every landing so far)")
ui.table(
    pd.DataFrame(
        [
            {"source": source, "reason": reason, "rows": rows}
            for source, numbers in accounts.items()
            for reason, rows in (numbers.get("quarantined_by_reason") or {}).items()
        ]
    ),
    f"quarantined_{run_id}",
)
st.caption("Rows staging rejected, by reason")
ui.table(
    pd.DataFrame(
        [
            {"model": model, "reason": reason, "rows": rows}
            for model, reasons in (build.get("rejections") or {}).items()
            for reason, rows in reasons.items()
        ]
    ),
    f"rejections_{run_id}",
)
st.caption("Failed tests")
failures = build.get("failures") or []
if failures:
    ui.table(
        pd.DataFrame(
            [
                {key: failure.get(key) for key in ("test", "status", "failing_rows", "message")}
                for failure in failures
            ]
        ),
        f"failed_tests_{run_id}",
    )
else:
    st.success("No test failed in this run." if build else "This run did not build.")
