"""c360 Streamlit app: one page per question, on the published warehouse.

``c360 app`` (or ``make demo``) starts it through ``streamlit_app.py`` at the project's
root. The sidebar holds the page list and the global filters (dates, country, channel),
which live in the URL so a view can be shared. Pages are in ``app/pages/``; what they read
is in ``app/queries.py``, through ``app/warehouse.py``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import ui
from app.warehouse import from_environment

PAGES = Path(__file__).parent / "pages"
# (file, title, icon): the sidebar's order. The URL path of a page is its file's name.
PAGE_LIST = (
    ("overview.py", "Overview", ":material/dashboard:"),
    ("clv.py", "Customer lifetime value", ":material/paid:"),
    ("rfm.py", "RFM segments", ":material/grid_view:"),
    ("cohorts.py", "Cohort retention", ":material/calendar_view_month:"),
    ("churn.py", "Churn risk", ":material/trending_down:"),
    ("funnel.py", "Conversion funnel", ":material/filter_alt:"),
    ("products.py", "Products", ":material/inventory_2:"),
    ("geography.py", "Geography", ":material/public:"),
    ("demand.py", "Demand", ":material/show_chart:"),
    ("customer_360.py", "Customer 360", ":material/person_search:"),
    ("pipeline_health.py", "Pipeline health", ":material/monitor_heart:"),
)


def run() -> None:
    """One run of the app: navigation, the filters, then the chosen page."""
    st.set_page_config(page_title="c360 · Customer 360", page_icon="📈", layout="wide")
    page = st.navigation(
        [
            st.Page(PAGES / name, title=title, icon=icon, default=index == 0)
            for index, (name, title, icon) in enumerate(PAGE_LIST)
        ]
    )
    st.sidebar.caption(f"Reading {from_environment().label}")
    st.session_state[ui.FILTERS_KEY] = ui.filters()
    page.run()
