"""What every page shares: the global filters, cached reads, formats and tables.

- ``filters()`` draws the sidebar's date range, country and channel, kept in the URL's
  query parameters (``?from=2025-01-01&to=2025-06-30&country=DE&channel=web``) so a view
  can be bookmarked and shared.
- ``load(query, ...)`` runs a query of ``app.queries`` through the cache, keyed on the
  warehouse's identity (a publish is picked up at once). A failure stops the page with
  one line (nothing published, a missing mart, an unreachable server), never a traceback.
- ``table(frame, name)`` shows a table with formatted columns (money, percentages, dates
  without a time) and a CSV download; ``money`` / ``percent`` format single numbers.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from app import queries
from app.warehouse import MissingRelationError, Query, WarehouseError, from_environment

CURRENCIES = {"EUR": "€", "USD": "$", "GBP": "£"}
MONEY = ("revenue", "clv", "monetary", "amount", "order_value", "margin", "value")
PERCENT = ("_rate", "growth", "support", "confidence", "retention")
ALL = "All"


def currency_symbol() -> str:
    code = os.environ.get("C360_CURRENCY", "USD").upper()
    return CURRENCIES.get(code, f"{code} ")


def money(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{currency_symbol()}{float(value):,.2f}"


def percent(value: Any, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):+.1%}" if signed else f"{float(value):.1%}"


def count(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{int(value):,}"


def day(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def score(value: Any, scale: int = 100) -> str:
    """A score as a score (``26 / 100``), never as a percentage."""
    return "–" if value is None or pd.isna(value) else f"{float(value):.0f} / {scale}"


# Every ASCII punctuation character may be backslash-escaped in Markdown (CommonMark, 2.4).
_MARKDOWN_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


def plain(value: Any) -> str:
    """Text from the data (a name, a city, a search query) for an element that renders
    Markdown (titles, captions, metric labels and values, alerts): every punctuation mark
    escaped, so it shows as typed, never as a link, emphasis, directive or HTML."""
    text = "–" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


# --- reading -----------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(identity: str, query: Query, params: tuple[tuple[str, Any], ...]) -> pd.DataFrame:
    del identity  # the cache key: the published file's identity, or the server's cache period
    return from_environment().run(query, dict(params))


def load(query: Query, params: Mapping[str, Any] | None = None, **more: Any) -> pd.DataFrame:
    """The query's rows, from the cache while the published warehouse is the same."""
    warehouse = from_environment()
    bound = {**(params or {}), **more}
    try:
        return _cached(warehouse.identity(), query, tuple(sorted(bound.items())))
    except MissingRelationError as exc:
        st.warning(str(exc))
        st.stop()
    except WarehouseError as exc:
        st.error(str(exc))
        st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def load_optional(query: Query, params: Mapping[str, Any] | None = None, **more: Any) -> pd.DataFrame | None:
    """As ``load``, but None when the relation is not there yet (e.g. a record a command
    writes only once it has run), instead of stopping the page."""
    warehouse = from_environment()
    bound = {**(params or {}), **more}
    try:
        return _cached(warehouse.identity(), query, tuple(sorted(bound.items())))
    except MissingRelationError:
        return None
    except WarehouseError as exc:
        st.error(str(exc))
        st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


# --- the global filters ------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    start_date: date
    end_date: date
    country: str  # '' for all
    channel: str  # '' for all

    @property
    def params(self) -> dict[str, Any]:
        """The bound parameters every query may use."""
        length = (self.end_date - self.start_date).days + 1
        return {
            "start_date": self.start_date,
            "end_date": self.end_date,
            "start_month": self.start_date.replace(day=1),
            "prior_start": self.start_date - timedelta(days=length),
            "country": self.country,
            "channel": self.channel,
        }

    def describe(self) -> str:
        where = (
            ", ".join(part for part in (self.country, self.channel) if part) or "all countries and channels"
        )
        return f"{self.start_date:%Y-%m-%d} to {self.end_date:%Y-%m-%d}, {where}"


def _parsed_date(text: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(text) if text else fallback
    except ValueError:
        return fallback


def filters() -> Filters:
    """The sidebar's filters, seeded from and written back to the URL's query parameters."""
    span = load(queries.DATA_RANGE)
    first = pd.Timestamp(span["first_day"].iloc[0]).date() if span["first_day"].notna().all() else None
    last = pd.Timestamp(span["last_day"].iloc[0]).date() if span["last_day"].notna().all() else None
    first = first or date.today() - timedelta(days=365)
    last = last or date.today()
    countries = [ALL, *load(queries.COUNTRIES)["country_code"].astype(str)]
    channels = [ALL, *load(queries.CHANNELS)["channel"].astype(str)]
    # The widgets keep their values in the session (so they survive a page switch); a new
    # session, or a value the warehouse no longer has, takes the URL's (or the default).
    asked = st.query_params
    start = min(max(_parsed_date(asked.get("from"), first), first), last)
    end = max(min(_parsed_date(asked.get("to"), last), last), start)
    kept = st.session_state.get("filter_dates")
    if not (isinstance(kept, tuple) and all(first <= day <= last for day in kept)):
        st.session_state["filter_dates"] = (start, end)
    for key, options, parameter in (
        ("filter_country", countries, "country"),
        ("filter_channel", channels, "channel"),
    ):
        if st.session_state.get(key) not in options:
            st.session_state[key] = options[_index(options, asked.get(parameter))]

    sidebar = st.sidebar
    sidebar.header("Filters")
    chosen = sidebar.date_input(
        "Order dates", key="filter_dates", min_value=first, max_value=last, format="YYYY-MM-DD"
    )
    if isinstance(chosen, tuple) and len(chosen) == 2:  # one end while being picked
        start, end = chosen
    country = sidebar.selectbox(
        "Country", countries, key="filter_country", help="Orders and customers of one country"
    )
    channel = sidebar.selectbox(
        "Sales channel", channels, key="filter_channel", help="Where orders were placed"
    )
    chosen_filters = Filters(start, end, "" if country == ALL else country, "" if channel == ALL else channel)
    wanted = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "country": chosen_filters.country,
        "channel": chosen_filters.channel,
    }
    for key, value in wanted.items():  # a page's own parameters (e.g. ?customer=) are kept
        if not value:
            st.query_params.pop(key, None)
        elif st.query_params.get(key) != value:
            st.query_params[key] = value
    return chosen_filters


FILTERS_KEY = "c360_filters"


def current_filters() -> Filters:
    """The filters the app's entry point drew this run; drawn here when a page runs alone."""
    found = st.session_state.get(FILTERS_KEY)
    return found if isinstance(found, Filters) else filters()


def _index(options: list[str], wanted: str | None) -> int:
    return options.index(wanted) if wanted in options else 0


# --- showing -----------------------------------------------------------------------------


def require_rows(frame: pd.DataFrame, message: str) -> None:
    """Stop the page with ``message`` when there is nothing to show (an empty mart)."""
    if frame.empty:
        st.info(message)
        st.stop()


def how_to_read(text: str) -> None:
    st.caption(f"**How to read this.** {text}")


def applies(note: str) -> None:
    """Which global filters a page uses (the others do not apply to its mart)."""
    st.caption(f"Filters: {note}")


def _column_config(frame: pd.DataFrame) -> dict[str, Any]:
    symbol = currency_symbol()
    config: dict[str, Any] = {}
    for column in frame.columns:
        name = str(column)
        dtype = frame[column].dtype
        if name.endswith("_at") and pd.api.types.is_datetime64_any_dtype(dtype):
            config[name] = st.column_config.DatetimeColumn(name, format="YYYY-MM-DD HH:mm")
        elif pd.api.types.is_datetime64_any_dtype(dtype) or name.endswith(("_date", "_month", "date_day")):
            config[name] = st.column_config.DateColumn(name, format="YYYY-MM-DD")
        elif not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            continue
        elif any(part in name for part in PERCENT):
            config[name] = st.column_config.NumberColumn(name, format="percent")
        elif any(part in name for part in MONEY):
            config[name] = st.column_config.NumberColumn(name, format=f"{symbol}%,.2f")
        elif pd.api.types.is_integer_dtype(dtype):
            config[name] = st.column_config.NumberColumn(name, format="%,d")
    return config


def table(frame: pd.DataFrame, name: str, height: int | None = None) -> None:
    """The rows, formatted, with a CSV download of exactly what is shown."""
    if frame.empty:
        st.info("No rows for these filters.")
        return
    st.dataframe(
        frame, hide_index=True, width="stretch", column_config=_column_config(frame), height=height or "auto"
    )
    st.download_button(
        f"Download {name}.csv",
        frame.to_csv(index=False).encode("utf-8"),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"download-{name}",
    )
