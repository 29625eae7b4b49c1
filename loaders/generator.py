"""Sample data: the four raw entities, realistic enough that every mart has something true to find.

Everything is vectorised with numpy and Arrow; Faker only fills small pools of names,
places and brands once per run. The same ``seed`` gives byte-identical files.

Shape of the data (what the marts and tests rely on):

- purchase frequency is power-law (a few customers place most orders), some never buy;
- orders have weekly (weekend) and yearly (November/December) seasonality and grow over time;
- orders are baskets of several lines; a line's product often comes with a companion
  product of the same category (basket affinity);
- lines are returned or cancelled; about a third of customers churn and stop buying;
- ``customers_update.csv`` is a second export in which some customers moved, changed
  e-mail or consent (dim_customers keeps both versions);
- clickstream sessions of the last 30 days on devices: anonymous browsing that later logs
  in (identity stitching), a few devices shared by two customers, funnels that drop off,
  several channels, UTM sources and countries.

With ``dirty > 0`` bad records are injected at that rate per kind, and ``answer_key.json``
(never landed) records what was injected and the true anonymous_id -> customer_id mapping.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from faker import Faker

from loaders.contracts import contract
from loaders.ndjson import gzip_members, ndjson_chunks

SEED_SCALE = {"customers": 5_000, "products": 200, "transactions": 50_000, "events": 100_000}
DEFAULT_END_DATE = date(2025, 12, 31)
HISTORY_DAYS = 730
EVENT_WINDOW_DAYS = 30
DIRTY_KINDS = (
    "duplicates",
    "malformed_json",
    "wrong_types",
    "unknown_references",
    "late_arriving",
    "missing_required",
    "off_vocabulary",
    "non_integer",
)
# Which injected kinds make sense for which entity (a CSV line cannot be malformed JSON).
DIRTY_KINDS_BY_ENTITY = {
    "customers": ("duplicates", "wrong_types", "missing_required", "off_vocabulary"),
    "products": ("duplicates", "wrong_types", "missing_required"),
    "transactions": (
        "duplicates",
        "wrong_types",
        "unknown_references",
        "missing_required",
        "off_vocabulary",
        "non_integer",
    ),
    "events": tuple(kind for kind in DIRTY_KINDS if kind != "non_integer"),  # quantities are CSV-only
}
# What the pipeline must do with each injected kind, per entity (see the staging base_*
# models and loaders.events_writer): reject the row with this reason, keep it with this
# attribute nulled and flagged, quarantine it at the loader, or keep it on an inferred
# dimension member. Unlisted kinds are kept (duplicates are removed, late events staged).
EXPECTED_OUTCOME: dict[str, dict[str, tuple[str, str]]] = {
    "customers": {
        "wrong_types": ("flagged", "birth_date"),
        "missing_required": ("rejected", "missing customer_id"),
        "off_vocabulary": ("flagged", "gender"),
    },
    "products": {
        "wrong_types": ("rejected", "missing or unparseable unit_price"),
        "missing_required": ("rejected", "missing product_id"),
    },
    "transactions": {
        "wrong_types": ("rejected", "unparseable quantity"),
        "missing_required": ("rejected", "missing transaction_id"),
        "non_integer": ("rejected", "quantity is not a whole number"),
        "off_vocabulary": ("flagged", "channel"),
    },
    "events": {
        "malformed_json": ("quarantined", "malformed JSON"),
        "wrong_types": ("quarantined", "contract"),
        "missing_required": ("quarantined", "contract"),
        "off_vocabulary": ("flagged", "device_type"),
    },
}
MAX_SCALE = 1000.0

COUNTRIES = {  # country code: (Faker locale, share of customers)
    "US": ("en_US", 0.34),
    "GB": ("en_GB", 0.12),
    "DE": ("de_DE", 0.12),
    "FR": ("fr_FR", 0.10),
    "CA": ("en_CA", 0.06),
    "ES": ("es_ES", 0.06),
    "IT": ("it_IT", 0.06),
    "NL": ("nl_NL", 0.05),
    "AU": ("en_AU", 0.05),
    "SE": ("sv_SE", 0.04),
}
CATEGORIES = {  # category: (subcategories, median price)
    "Electronics": (("Phones", "Laptops", "Audio", "Accessories"), 120.0),
    "Home": (("Kitchen", "Furniture", "Decor"), 45.0),
    "Fashion": (("Women", "Men", "Shoes"), 40.0),
    "Beauty": (("Skincare", "Makeup", "Fragrance"), 25.0),
    "Sports": (("Fitness", "Outdoor", "Cycling"), 55.0),
    "Books": (("Fiction", "Non-fiction", "Children"), 15.0),
    "Toys": (("Games", "Puzzles", "Building"), 30.0),
}
CHANNELS = (("web", 0.45), ("mobile_app", 0.30), ("store", 0.15), ("marketplace", 0.10))
PAYMENT_METHODS = (
    ("card", 0.62),
    ("paypal", 0.2),
    ("gift_card", 0.06),
    ("bank_transfer", 0.07),
    ("cash", 0.05),
)
TRAFFIC_SOURCES = (  # utm_source, utm_medium, utm_campaign, referrer, share
    (None, None, None, None, 0.28),
    ("google", "organic", None, "https://www.google.com/", 0.24),
    ("google", "cpc", "brand_search", "https://www.google.com/", 0.08),
    ("google", "cpc", "generic_search", "https://www.google.com/", 0.05),
    ("facebook", "paid_social", "retargeting", "https://www.facebook.com/", 0.09),
    ("instagram", "social", "influencer", "https://www.instagram.com/", 0.06),
    ("newsletter", "email", "weekly_digest", None, 0.10),
    ("bing", "organic", None, "https://www.bing.com/", 0.04),
    ("awin", "affiliate", "partner_deals", "https://www.awin1.com/", 0.06),
)
DEVICE_TYPES = (("desktop", 0.45), ("mobile", 0.45), ("tablet", 0.10))
SITE = "https://shop.c360.dev"
# Event codes, in the order they appear within a session's funnel tail.
BROWSE_TYPES = ("page_view", "product_view", "search")
TAIL_TYPES = ("login", "add_to_cart", "remove_from_cart", "begin_checkout", "purchase")
EVENT_TYPES = (*BROWSE_TYPES, *TAIL_TYPES, "signup")
SIGNUP_CODE = EVENT_TYPES.index("signup")
_NULL = np.array(None, dtype=object)  # a typed null for np.where


@dataclass
class GenerateReport:
    out_dir: Path
    rows: dict[str, int]
    answer_key: dict[str, Any] | None = field(default=None)


def scaled_counts(scale: float) -> dict[str, int]:
    if not (math.isfinite(scale) and 0 < scale <= MAX_SCALE):
        raise ValueError(f"--scale must be a positive number up to {MAX_SCALE:g}, got {scale}")
    return {name: max(1, round(n * scale)) for name, n in SEED_SCALE.items()}


def _choice(rng: np.random.Generator, options: tuple[tuple[Any, float], ...], size: int) -> np.ndarray:
    values = np.array([o[0] for o in options], dtype=object)
    weights = np.array([o[1] for o in options])
    return values[rng.choice(len(values), size=size, p=weights / weights.sum())]


def _ids(prefix: str, n: int, width: int) -> pa.Array:
    numbers = pc.cast(pa.array(np.arange(1, n + 1)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width, "0"), "")


def _iso(seconds: np.ndarray) -> pa.Array:
    """UTC epoch seconds -> ISO-8601 strings with a Z suffix.

    Formatting a million timestamps one by one is slow; instead each distinct hour is
    formatted once and joined with a precomputed "MM:SSZ" suffix.
    """
    seconds = np.asarray(seconds, dtype=np.int64)
    if seconds.size == 0:
        return pa.array([], pa.string())
    first_hour = int(seconds.min()) // 3600
    hour = seconds // 3600 - first_hour
    hours = (np.arange(int(hour.max()) + 1) + first_hour) * 3600
    hour_text = pc.strftime(pa.array(hours.astype("datetime64[s]")), format="%Y-%m-%dT%H:")
    minute_second = pa.array([f"{m:02d}:{s:02d}Z" for m in range(60) for s in range(60)])
    return pc.binary_join_element_wise(hour_text.take(hour), minute_second.take(seconds % 3600), "")


class _Pools:
    """Small pools of Faker values per country, built once per run."""

    def __init__(self, seed: int, size: int = 250) -> None:
        self.first_names: dict[str, np.ndarray] = {}
        self.last_names: dict[str, np.ndarray] = {}
        self.places: dict[str, np.ndarray] = {}  # rows of (city, state, postal_code)
        self.phones: dict[str, np.ndarray] = {}
        for offset, (country, (locale, _share)) in enumerate(COUNTRIES.items()):
            fake = Faker(locale)
            fake.seed_instance(seed * 1_000 + offset)
            _order_faker_pools(fake)
            self.first_names[country] = np.array([fake.first_name() for _ in range(size)], dtype=object)
            self.last_names[country] = np.array([fake.last_name() for _ in range(size)], dtype=object)
            self.phones[country] = np.array([fake.phone_number() for _ in range(size)], dtype=object)
            places = []
            for _ in range(size // 5):
                state = fake.state() if hasattr(fake, "state") else fake.city()
                places.append((fake.city(), state, fake.postcode()))
            self.places[country] = np.array(places, dtype=object)
        brand_fake = Faker("en_US")
        brand_fake.seed_instance(seed)
        self.brands = np.array(sorted({brand_fake.last_name() for _ in range(120)}), dtype=object)
        self.adjectives = np.array(
            ["Pro", "Classic", "Essential", "Ultra", "Eco", "Prime", "Urban", "Nova", "Active", "Luxe"],
            dtype=object,
        )


def _order_faker_pools(fake: Faker) -> None:
    """Sort the city lists Faker draws from: some locales build them from a set (it_IT), whose
    order follows the string hash seed, so the same seed gave other cities in another process."""
    for provider in fake.providers:
        cities = getattr(provider, "cities", None)
        if isinstance(cities, list):
            provider.cities = sorted(cities)


def _day_weights(start: date, days: int) -> np.ndarray:
    """Relative demand per day: weekly rhythm, a December peak, Black Friday, and growth."""
    day_index = np.arange(days)
    dates = np.datetime64(start) + day_index.astype("timedelta64[D]")
    weekday = (dates.astype("datetime64[D]").view("int64") - 4) % 7  # 0 = Monday
    weekly = np.array([0.9, 0.85, 0.9, 0.95, 1.1, 1.3, 1.25])[weekday]
    day_of_year = (dates - dates.astype("datetime64[Y]")).astype(int)
    yearly = 1.0 + 0.45 * np.exp(-(((day_of_year - 345) / 25.0) ** 2))
    months = dates.astype("datetime64[M]").astype(int) % 12 + 1
    black_friday = np.where((months == 11) & (day_of_year >= 327) & (day_of_year <= 333), 1.8, 1.0)
    growth = 1.0 + 0.5 * day_index / max(days - 1, 1)
    return np.asarray(weekly * yearly * black_friday * growth)


def _hour_seconds(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds into the day, with a lunchtime and an evening peak."""
    hourly = np.array(
        [2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 7, 8, 9, 8, 7, 7, 7, 8, 9, 11, 12, 11, 8, 4], dtype=float
    )
    hours = rng.choice(24, size=size, p=hourly / hourly.sum())
    return hours * 3600 + rng.integers(0, 3600, size=size)


def _sample_days(
    rng: np.random.Generator, weights: np.ndarray, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """One day per row in [low, high], drawn with the given daily weights (inverse CDF)."""
    cumulative = np.concatenate([[0.0], np.cumsum(weights)])
    u = rng.uniform(cumulative[low], cumulative[high + 1])
    days: np.ndarray = np.clip(np.searchsorted(cumulative, u, side="right") - 1, low, high)
    return days


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


class _Generator:
    def __init__(self, scale: float, seed: int, end_date: date) -> None:
        self.counts = scaled_counts(scale)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.pools = _Pools(seed)
        self.end_date = end_date
        self.start_date = end_date - timedelta(days=HISTORY_DAYS - 1)
        self.start_epoch = _epoch(self.start_date)
        self.end_epoch = _epoch(end_date) + 86_399
        self.day_weights = _day_weights(self.start_date, HISTORY_DAYS)

    # customers ---------------------------------------------------------------------------

    def customers(self) -> tuple[pa.Table, pa.Table, dict[str, np.ndarray]]:
        rng, n = self.rng, self.counts["customers"]
        countries = np.array(list(COUNTRIES))
        shares = np.array([share for _locale, share in COUNTRIES.values()])
        country = countries[rng.choice(len(countries), size=n, p=shares / shares.sum())]
        first = np.empty(n, dtype=object)
        last = np.empty(n, dtype=object)
        phone = np.empty(n, dtype=object)
        place = np.empty((n, 3), dtype=object)
        for code in COUNTRIES:
            rows = np.flatnonzero(country == code)
            pool_first, pool_last = self.pools.first_names[code], self.pools.last_names[code]
            first[rows] = pool_first[rng.integers(0, len(pool_first), rows.size)]
            last[rows] = pool_last[rng.integers(0, len(pool_last), rows.size)]
            phone[rows] = self.pools.phones[code][rng.integers(0, len(self.pools.phones[code]), rows.size)]
            place[rows] = self.pools.places[code][rng.integers(0, len(self.pools.places[code]), rows.size)]
        # Sign-ups: a year before the history starts up to a week before the export, growing.
        signup_low, signup_high = -365, HISTORY_DAYS - 8
        signup_day = np.floor(signup_low + (signup_high - signup_low) * np.sqrt(rng.random(n))).astype(int)
        signup_at = self.start_epoch + signup_day * 86_400 + _hour_seconds(rng, n)
        updated_at = np.minimum(signup_at + rng.integers(0, 30 * 86_400, n), self.end_epoch - 7 * 86_400)
        updated_at = np.maximum(updated_at, signup_at)
        birth_day = rng.integers(_epoch(date(1945, 1, 1)) // 86_400, _epoch(date(2006, 1, 1)) // 86_400, n)
        gender = _choice(rng, (("female", 0.48), ("male", 0.47), ("other", 0.02), ("", 0.03)), n)
        opt_in = np.where(rng.random(n) < 0.55, "true", "false").astype(object)
        ids = _ids("C", n, 6)
        domains = np.array(["example.com", "mail.example", "inbox.example", "post.example"], dtype=object)
        email = pc.utf8_lower(
            pc.binary_join_element_wise(
                pa.array(first),
                ".",
                pa.array(last),
                pc.cast(pa.array(np.arange(1, n + 1)), pa.string()),
                "@",
                pa.array(domains[rng.integers(0, len(domains), n)]),
                "",
            )
        )
        email = pc.replace_substring_regex(email, r"[^a-z0-9.@]", "")
        # Some systems keep the address as typed: staging lower-cases it.
        shouty = rng.random(n) < 0.04
        email = pc.if_else(pa.array(shouty), pc.utf8_capitalize(email), email)
        table = pa.table(
            {
                "customer_id": ids,
                "first_name": pa.array(first),
                "last_name": pa.array(last),
                "email": email,
                "phone": pa.array(phone),
                "birth_date": pc.strftime(pa.array(birth_day.astype("datetime64[D]")), format="%Y-%m-%d"),
                "gender": pa.array(gender),
                "city": pa.array(place[:, 0]),
                "state": pa.array(place[:, 1]),
                "postal_code": pa.array(place[:, 2]),
                "country_code": pa.array(country.astype(object)),
                "signup_at": _iso(signup_at),
                "marketing_opt_in": pa.array(opt_in),
                "updated_at": _iso(updated_at),
            }
        )
        # Second export: some customers moved, changed e-mail or consent.
        changed = np.flatnonzero(rng.random(n) < 0.08)
        update = table.take(pa.array(changed))
        what = rng.integers(0, 3, changed.size)
        moved_place = np.empty((changed.size, 3), dtype=object)
        for i, code in enumerate(country[changed]):
            moved_place[i] = self.pools.places[code][rng.integers(0, len(self.pools.places[code]))]
        moved = pa.array(what == 0)
        new_email = pc.binary_join_element_wise("new.", update["email"], "")
        flipped = pc.if_else(pc.equal(update["marketing_opt_in"], "true"), "false", "true")
        change_at = np.maximum(updated_at[changed] + 86_400, self.end_epoch - 7 * 86_400) + rng.integers(
            0, 6 * 86_400, changed.size
        )
        replacements = {
            "city": pc.if_else(moved, pa.array(moved_place[:, 0]), update["city"]),
            "state": pc.if_else(moved, pa.array(moved_place[:, 1]), update["state"]),
            "postal_code": pc.if_else(moved, pa.array(moved_place[:, 2]), update["postal_code"]),
            "email": pc.if_else(pa.array(what == 1), new_email, update["email"]),
            "marketing_opt_in": pc.if_else(pa.array(what == 2), flipped, update["marketing_opt_in"]),
            "updated_at": _iso(change_at),
        }
        for column, values in replacements.items():
            update = update.set_column(update.schema.get_field_index(column), column, values)
        facts = {"signup_day": signup_day, "country": country, "city": place[:, 0], "signup_at": signup_at}
        return table, update, facts

    # products ----------------------------------------------------------------------------

    def products(self) -> tuple[pa.Table, dict[str, np.ndarray]]:
        rng, n = self.rng, self.counts["products"]
        categories = np.array(list(CATEGORIES), dtype=object)
        category = categories[rng.integers(0, len(categories), n)]
        subcategory = np.empty(n, dtype=object)
        median = np.empty(n)
        for name, (subs, price) in CATEGORIES.items():
            rows = np.flatnonzero(category == name)
            subcategory[rows] = np.array(subs, dtype=object)[rng.integers(0, len(subs), rows.size)]
            median[rows] = price
        brand = self.pools.brands[rng.integers(0, len(self.pools.brands), n)]
        adjective = self.pools.adjectives[rng.integers(0, len(self.pools.adjectives), n)]
        model = pc.cast(pa.array(rng.integers(10, 999, n)), pa.string())
        name = pc.binary_join_element_wise(
            pa.array(brand), pa.array(adjective), pa.array(subcategory), model, " "
        )
        price_cents = np.round(median * rng.lognormal(0.0, 0.5, n) * 100).astype(np.int64) + 99
        cost_cents = np.round(price_cents * rng.uniform(0.4, 0.75, n)).astype(np.int64)
        updated_at = self.start_epoch - rng.integers(0, 365 * 86_400, n)
        table = pa.table(
            {
                "product_id": _ids("P", n, 5),
                "product_name": name,
                "category": pa.array(category),
                "subcategory": pa.array(subcategory),
                "brand": pa.array(brand),
                "unit_price": _cents_text(price_cents),
                "unit_cost": _cents_text(cost_cents),
                "is_active": pa.array(np.where(rng.random(n) < 0.95, "true", "false").astype(object)),
                "updated_at": _iso(updated_at),
            }
        )
        popularity = 1.0 / np.arange(1, n + 1) ** 1.1
        popularity = popularity[rng.permutation(n)]
        companion = np.arange(n)
        for name_ in CATEGORIES:
            rows = np.flatnonzero(category == name_)
            if rows.size > 1:
                companion[rows] = rows[
                    (np.searchsorted(rows, rows) + 1 + rng.integers(0, rows.size - 1, rows.size)) % rows.size
                ]
        facts = {
            "popularity": popularity / popularity.sum(),
            "companion": companion,
            "price_cents": price_cents,
            "category": category,
            "subcategory": subcategory,
        }
        return table, facts

    # transactions ------------------------------------------------------------------------

    def transactions(
        self, customers: dict[str, np.ndarray], products: dict[str, np.ndarray]
    ) -> tuple[pa.Table, dict[str, np.ndarray]]:
        rng, target = self.rng, self.counts["transactions"]
        n_customers = len(customers["signup_day"])
        activity = rng.pareto(1.3, n_customers) + 0.05
        activity[rng.random(n_customers) < 0.15] = 0.0  # registered, never bought
        if activity.sum() == 0:
            activity[:] = 1.0
        window_low = np.clip(customers["signup_day"], 0, HISTORY_DAYS - 1)
        churned = rng.random(n_customers) < 0.35
        churn_day = window_low + (rng.random(n_customers) * (HISTORY_DAYS - window_low)).astype(int)
        window_high = np.where(churned, np.clip(churn_day, window_low, HISTORY_DAYS - 1), HISTORY_DAYS - 1)
        # Longer windows hold more orders: weight activity by how long the customer was active.
        weight = activity * (window_high - window_low + 1)
        lines_per_order = np.minimum(rng.geometric(0.55, target), 8)
        ends = np.cumsum(lines_per_order)
        n_orders = int(np.searchsorted(ends, target) + 1)
        lines_per_order = lines_per_order[:n_orders]
        lines_per_order[-1] -= int(ends[n_orders - 1] - target)
        order_customer = rng.choice(n_customers, size=n_orders, p=weight / weight.sum())
        day = _sample_days(rng, self.day_weights, window_low[order_customer], window_high[order_customer])
        ordered_at = self.start_epoch + day * 86_400 + _hour_seconds(rng, n_orders)
        ordered_at = np.maximum(ordered_at, customers["signup_at"][order_customer] + 60)
        order_sort = np.argsort(ordered_at, kind="stable")
        order_customer, ordered_at, lines_per_order = (
            order_customer[order_sort],
            ordered_at[order_sort],
            lines_per_order[order_sort],
        )
        channel = _choice(rng, CHANNELS, n_orders)
        payment = _choice(rng, PAYMENT_METHODS, n_orders)
        payment = np.where((payment == "cash") & (channel != "store"), "card", payment)
        cancelled = rng.random(n_orders) < 0.04

        order_of_line = np.repeat(np.arange(n_orders), lines_per_order)
        line_no = np.arange(target) - np.repeat(np.cumsum(lines_per_order) - lines_per_order, lines_per_order)
        n_products = len(products["popularity"])
        primary = rng.choice(n_products, size=n_orders, p=products["popularity"])
        product = rng.choice(n_products, size=target, p=products["popularity"])
        product[line_no == 0] = primary[order_of_line[line_no == 0]]
        with_companion = (line_no > 0) & (rng.random(target) < 0.45)
        product[with_companion] = products["companion"][primary[order_of_line[with_companion]]]
        quantity = _choice(rng, ((1, 0.74), (2, 0.18), (3, 0.05), (4, 0.02), (5, 0.01)), target).astype(
            np.int64
        )
        price = products["price_cents"][product]
        discounted = rng.random(target) < 0.2
        discount = np.where(
            discounted, np.round(price * quantity * rng.uniform(0.05, 0.25, target)), 0
        ).astype(np.int64)
        returned = ~cancelled[order_of_line] & (rng.random(target) < 0.06)
        status = np.where(
            cancelled[order_of_line], "cancelled", np.where(returned, "returned", "completed")
        ).astype(object)
        line_ordered_at = ordered_at[order_of_line]
        updated_at = np.where(
            cancelled[order_of_line],
            line_ordered_at + rng.integers(600, 86_400, target),
            np.where(
                returned, line_ordered_at + rng.integers(3 * 86_400, 30 * 86_400, target), line_ordered_at
            ),
        )
        updated_at = np.minimum(updated_at, self.end_epoch)
        order_ids = _ids("O", n_orders, 7)
        table = pa.table(
            {
                "transaction_id": _ids("T", target, 8),
                "order_id": order_ids.take(pa.array(order_of_line)),
                "customer_id": _ids("C", n_customers, 6).take(pa.array(order_customer[order_of_line])),
                "product_id": _ids("P", n_products, 5).take(pa.array(product)),
                "quantity": pc.cast(pa.array(quantity), pa.string()),
                "unit_price": _cents_text(price),
                "discount_amount": _cents_text(discount),
                "channel": pa.array(channel[order_of_line]),
                "payment_method": pa.array(payment[order_of_line]),
                "status": pa.array(status),
                "ordered_at": _iso(line_ordered_at),
                "updated_at": _iso(updated_at),
            }
        )
        facts = {
            "order_customer": order_customer,
            "ordered_at": ordered_at,
            "order_channel": channel,
            "activity": activity,
            "churned": churned,
            "order_ids": np.asarray(order_ids.to_numpy(zero_copy_only=False)),
        }
        return table, facts

    # events ------------------------------------------------------------------------------

    def events(
        self, customers: dict[str, np.ndarray], products: dict[str, np.ndarray], orders: dict[str, np.ndarray]
    ) -> tuple[pa.Table, dict[str, Any]]:
        rng, target = self.rng, self.counts["events"]
        n_customers = len(customers["signup_day"])
        n_products = len(products["popularity"])
        window_start = self.end_epoch + 1 - EVENT_WINDOW_DAYS * 86_400

        # Sessions: browse events, then an optional funnel tail.
        n_sessions = int(target / 2.5) + 50  # mean session is ~3.2 events: enough to cut from
        browse = rng.geometric(0.42, n_sessions)
        device_count = max(1, n_sessions // 3)
        owned = rng.random(device_count) < 0.65
        owner_weight = orders["activity"] + 0.2
        owner = np.where(
            owned, rng.choice(n_customers, size=device_count, p=owner_weight / owner_weight.sum()), -1
        )
        shared = owned & (rng.random(device_count) < 0.01)
        second_owner = np.where(shared, rng.integers(0, n_customers, device_count), -1)
        shared &= second_owner != owner
        device_activity = rng.pareto(1.5, device_count) + 0.3
        device = rng.choice(device_count, size=n_sessions, p=device_activity / device_activity.sum())
        session_user = np.where(
            shared[device] & (rng.random(n_sessions) < 0.5), second_owner[device], owner[device]
        )
        web_orders = np.isin(orders["order_channel"], ["web", "mobile_app"])
        orders_of_user = np.bincount(orders["order_customer"][web_orders], minlength=n_customers)
        has_user = session_user >= 0
        can_buy = has_user & (orders_of_user[np.maximum(session_user, 0)] > 0)
        cart = rng.random(n_sessions) < 0.30
        removed = cart & (rng.random(n_sessions) < 0.12)
        checkout = cart & (rng.random(n_sessions) < 0.55)
        purchase = checkout & can_buy & (rng.random(n_sessions) < 0.65)
        login = has_user & (purchase | (rng.random(n_sessions) < 0.35))
        tail_flags = np.stack([login, cart, removed, checkout, purchase], axis=1)
        events_per_session = browse + tail_flags.sum(axis=1)
        ends = np.cumsum(events_per_session)
        kept = int(np.searchsorted(ends, target) + 1)
        events_per_session = events_per_session[:kept]
        events_per_session[-1] -= int(ends[kept - 1] - target)
        n_sessions = kept
        browse, tail_flags, device, session_user = (
            browse[:kept],
            tail_flags[:kept],
            device[:kept],
            session_user[:kept],
        )
        shared_session = shared[device]

        day_weights = self.day_weights[-EVENT_WINDOW_DAYS:]
        day = _sample_days(
            rng, day_weights, np.zeros(n_sessions, int), np.full(n_sessions, EVENT_WINDOW_DAYS - 1)
        )
        session_start = window_start + day * 86_400 + _hour_seconds(rng, n_sessions)
        traffic = rng.choice(len(TRAFFIC_SOURCES), size=n_sessions, p=_shares(TRAFFIC_SOURCES))
        focus_product = rng.choice(n_products, size=n_sessions, p=products["popularity"])

        session_of = np.repeat(np.arange(n_sessions), events_per_session)
        session_first = np.cumsum(events_per_session) - events_per_session
        position = np.arange(target) - np.repeat(session_first, events_per_session)
        tail_codes = np.where(
            tail_flags, np.arange(len(BROWSE_TYPES), len(BROWSE_TYPES) + len(TAIL_TYPES)), 99
        )
        tail_codes = np.sort(tail_codes, axis=1)
        in_browse = position < browse[session_of]
        browse_code = np.where(position == 0, 0, rng.choice(3, size=target, p=[0.25, 0.55, 0.20]))
        tail_index = np.clip(position - browse[session_of], 0, len(TAIL_TYPES) - 1)
        code = np.where(in_browse, browse_code, tail_codes[session_of, tail_index])

        gaps = np.clip(rng.exponential(45.0, target), 1, 900).astype(np.int64)
        gaps[position == 0] = 0
        cumulative = np.cumsum(gaps)
        occurred_at = session_start[session_of] + cumulative - cumulative[session_first][session_of]

        # Identity: once a device has logged in it stays logged in, except shared devices,
        # where each household member logs in per session.
        login_code = len(BROWSE_TYPES) + TAIL_TYPES.index("login")
        is_login = code == login_code
        first_login = np.full(device_count, np.iinfo(np.int64).max)
        np.minimum.at(first_login, device[session_of[is_login]], occurred_at[is_login])
        session_login_at = np.full(n_sessions, np.iinfo(np.int64).max)
        np.minimum.at(session_login_at, session_of[is_login], occurred_at[is_login])
        event_device = device[session_of]
        known = np.where(
            shared_session[session_of],
            occurred_at >= session_login_at[session_of],
            occurred_at >= first_login[event_device],
        )
        event_customer = np.where(known, session_user[session_of], -1)
        # A device's first login is a sign-up when its owner signed up inside the window.
        new_owner = (owner[event_device] >= 0) & (
            customers["signup_at"][np.maximum(owner[event_device], 0)] >= window_start
        )
        code = np.where(is_login & new_owner & (occurred_at == first_login[event_device]), SIGNUP_CODE, code)

        # Every string column is an index into a small pool, turned into text by one Arrow
        # take at the end (after sorting by time): no per-row Python objects.
        product_view, add_to_cart, remove_from_cart, search, purchase_code = (
            EVENT_TYPES.index(name)
            for name in ("product_view", "add_to_cart", "remove_from_cart", "search", "purchase")
        )
        viewed = np.where(
            rng.random(target) < 0.5,
            focus_product[session_of],
            rng.choice(n_products, size=target, p=products["popularity"]),
        )
        with_product = np.isin(code, [product_view, add_to_cart, remove_from_cart])
        product_of_event = np.where(code == product_view, viewed, focus_product[session_of])
        product_index = np.where(with_product, product_of_event, -1)

        # A purchase event names one of the buyer's web or app orders.
        order_rows = np.flatnonzero(web_orders)
        by_customer = order_rows[np.argsort(orders["order_customer"][order_rows], kind="stable")]
        first_row = np.searchsorted(orders["order_customer"][by_customer], np.arange(n_customers))
        is_purchase = code == purchase_code
        buyer = np.maximum(session_user[session_of], 0)
        offset = (rng.random(target) * np.maximum(orders_of_user[buyer], 1)).astype(np.int64)
        order_index = np.full(target, -1, dtype=np.int64)
        if len(by_customer):
            pick = np.minimum(first_row[buyer] + offset, len(by_customer) - 1)
            order_index[is_purchase] = by_customer[pick[is_purchase]]

        queries = np.unique(np.char.lower(products["subcategory"].astype(str)))
        query_index = rng.integers(0, len(queries), target)
        static_pages = [
            "/",
            "/sale",
            "/new",
            "/category/home",
            "/category/electronics",
            "/checkout",
            "/checkout/confirmation",
            "/login",
            "/signup",
            "/cart",
        ]
        product_ids = _ids("P", n_products, 5)
        page_pool = pa.concat_arrays(
            [
                pa.array([SITE + page for page in static_pages]),
                pc.binary_join_element_wise(SITE + "/product/", product_ids, ""),
                pa.array([f"{SITE}/search?q={query}" for query in queries]),
            ]
        )
        page_index = np.select(
            [
                code == 0,
                with_product,
                code == search,
                code == EVENT_TYPES.index("begin_checkout"),
                is_purchase,
                code == login_code,
                code == SIGNUP_CODE,
            ],
            [
                rng.integers(0, 5, target),
                len(static_pages) + product_of_event,
                len(static_pages) + n_products + query_index,
                5,
                6,
                7,
                8,
            ],
            default=9,
        )
        referrers = [t[3] for t in TRAFFIC_SOURCES]
        referrer_pool = pa.concat_arrays([page_pool, pa.array(referrers, pa.string())])
        session_referrer = np.array(
            [len(page_pool) + i if r is not None else -1 for i, r in enumerate(referrers)]
        )[traffic]
        referrer_index = np.where(position == 0, session_referrer[session_of], np.roll(page_index, 1))

        device_type = rng.choice(len(DEVICE_TYPES), size=device_count, p=_shares(DEVICE_TYPES))
        country_codes = list(COUNTRIES)
        by_code = np.argsort(country_codes)
        owner_country = by_code[
            np.searchsorted(np.array(country_codes), customers["country"], sorter=by_code)
        ]
        device_country = np.where(
            owner >= 0, owner_country[np.maximum(owner, 0)], rng.integers(0, len(COUNTRIES), device_count)
        )
        # City pool: every customer's city, then every pooled city per country.
        pooled = [self.pools.places[c][:, 0] for c in country_codes]
        pool_start = len(customers["city"]) + np.cumsum([0] + [len(p) for p in pooled[:-1]])
        city_pool = pa.array(np.concatenate([customers["city"], *pooled]), pa.string())
        pooled_sizes = np.array([len(p) for p in pooled])
        anonymous_city = pool_start[device_country] + (
            rng.random(device_count) * pooled_sizes[device_country]
        ).astype(np.int64)
        device_city = np.where(owner >= 0, np.maximum(owner, 0), anonymous_city)

        anonymous_ids = _uuids(rng, device_count)
        event_ids = _uuids(rng, target)
        customer_ids = _ids("C", n_customers, 6)
        order = np.argsort(occurred_at, kind="stable")
        event_device = event_device[order]
        session_traffic = traffic[session_of][order]
        table = pa.table(
            {
                "event_id": event_ids.take(order),
                "event_type": _take(pa.array(EVENT_TYPES), code[order]),
                "occurred_at": _iso(occurred_at[order]),
                "anonymous_id": anonymous_ids.take(event_device),
                "customer_id": _take(customer_ids, event_customer[order]),
                "page_url": _take(page_pool, page_index[order]),
                "referrer_url": _take(referrer_pool, referrer_index[order]),
                "utm_source": _take(pa.array([t[0] for t in TRAFFIC_SOURCES], pa.string()), session_traffic),
                "utm_medium": _take(pa.array([t[1] for t in TRAFFIC_SOURCES], pa.string()), session_traffic),
                "utm_campaign": _take(
                    pa.array([t[2] for t in TRAFFIC_SOURCES], pa.string()), session_traffic
                ),
                "device_type": _take(pa.array([d[0] for d in DEVICE_TYPES]), device_type[event_device]),
                "product_id": _take(product_ids, product_index[order]),
                "order_id": _take(pa.array(orders["order_ids"], pa.string()), order_index[order]),
                "search_query": _take(
                    pa.array(queries.astype(object), pa.string()),
                    np.where(code == search, query_index, -1)[order],
                ),
                "country_code": _take(pa.array(country_codes), device_country[event_device]),
                "city": _take(city_pool, device_city[event_device]),
            }
        )
        customer_ids = np.asarray(customer_ids.to_numpy(zero_copy_only=False))
        anonymous_ids = np.asarray(anonymous_ids.to_numpy(zero_copy_only=False))
        logged_in = np.zeros(device_count, dtype=bool)
        logged_in[device[session_of[is_login]]] = True
        single = logged_in & (owner >= 0) & ~shared
        login_pairs = np.unique(
            np.stack([device[session_of[is_login]], session_user[session_of[is_login]]]), axis=1
        )
        users_logged_in = np.bincount(login_pairs[0], minlength=device_count)
        identity = {
            "anonymous_to_customer": dict(
                zip(anonymous_ids[single].tolist(), customer_ids[owner[single]].tolist(), strict=True)
            ),
            "shared_devices": {
                anonymous_ids[d]: sorted({customer_ids[owner[d]], customer_ids[second_owner[d]]})
                for d in np.flatnonzero(shared & logged_in & (users_logged_in >= 2))
            },
            # Shared, but only one member ever logged in within the window: the data cannot
            # tell these from a single owner's device, so stitching is not scored on them.
            "shared_devices_unrevealed": {
                anonymous_ids[d]: sorted({customer_ids[owner[d]], customer_ids[second_owner[d]]})
                for d in np.flatnonzero(shared & logged_in & (users_logged_in < 2))
            },
        }
        return table, identity


def _shares(options: tuple[tuple[Any, ...], ...]) -> np.ndarray:
    weights: np.ndarray = np.array([o[-1] for o in options], dtype=float)
    return weights / float(weights.sum())


def _take(pool: pa.Array, index: np.ndarray) -> pa.Array:
    """pool[index] as an Arrow array; a negative index gives null."""
    return pool.take(pa.array(index, mask=index < 0))


def _cents_text(cents: np.ndarray) -> pa.Array:
    """Non-negative integer cents -> '12.30' text, exactly two decimals."""
    cents = np.asarray(cents, dtype=np.int64)
    whole = pc.cast(pa.array(cents // 100), pa.string())
    fraction = pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), 2, "0")
    return pc.binary_join_element_wise(whole, fraction, ".")


def _uuids(rng: np.random.Generator, n: int) -> pa.Array:
    """Version-4 UUID strings from the seeded generator (reproducible, unlike uuid4())."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = np.frombuffer(raw.tobytes().hex().encode(), dtype=np.uint8).reshape(n, 32)
    dash = np.full((n, 1), ord("-"), dtype=np.uint8)
    parts = [
        hexed[:, 0:8],
        dash,
        hexed[:, 8:12],
        dash,
        hexed[:, 12:16],
        dash,
        hexed[:, 16:20],
        dash,
        hexed[:, 20:32],
    ]
    joined = np.ascontiguousarray(np.concatenate(parts, axis=1))
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(36), n, [None, pa.py_buffer(joined)])
    return fixed.cast(pa.binary()).cast(pa.string())


# Dirty data --------------------------------------------------------------------------------

_WRONG_TYPE = {  # column, bad value: a value of the wrong type for the contract
    "customers": ("birth_date", "not-a-date"),
    "products": ("unit_price", "n/a"),
    "transactions": ("quantity", "two"),
    "events": ("occurred_at", "yesterday"),
}
_OFF_VOCABULARY = {  # column, a value outside its vocabulary that no synonym maps
    "customers": ("gender", "Unknown"),
    "transactions": ("channel", "Phone order"),
    "events": ("device_type", "smart-tv"),
}
_NON_INTEGER = ("quantity", "1.5")


def _pick_disjoint(
    rng: np.random.Generator, n_rows: int, kinds: tuple[str, ...], rate: float
) -> dict[str, np.ndarray]:
    per_kind = min(round(rate * n_rows), n_rows // max(len(kinds), 1))
    chosen = rng.choice(n_rows, size=per_kind * len(kinds), replace=False)
    return {kind: np.sort(chosen[i * per_kind : (i + 1) * per_kind]) for i, kind in enumerate(kinds)}


def _set_values(table: pa.Table, column: str, rows: np.ndarray, value: Any) -> pa.Table:
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    values = pa.array(value) if isinstance(value, (list, np.ndarray)) else pa.scalar(value, pa.string())
    if isinstance(values, pa.Array):
        full = np.full(table.num_rows, None, dtype=object)
        full[rows] = value
        values = pa.array(full, pa.string())
    index = table.schema.get_field_index(column)
    return table.set_column(index, column, pc.if_else(pa.array(mask), values, table[column]))


def _dirty_table(
    rng: np.random.Generator, entity: str, table: pa.Table, rate: float, n_customers: int, n_products: int
) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """Apply the value-level kinds; the line-level kinds are returned for the writer."""
    rows = _pick_disjoint(rng, table.num_rows, DIRTY_KINDS_BY_ENTITY[entity], rate)
    column, bad = _WRONG_TYPE[entity]
    table = _set_values(table, column, rows["wrong_types"], bad)
    table = _set_values(table, contract(entity).primary_key, rows["missing_required"], None)
    if "off_vocabulary" in rows:
        column, bad = _OFF_VOCABULARY[entity]
        table = _set_values(table, column, rows["off_vocabulary"], bad)
    if "non_integer" in rows:
        column, bad = _NON_INTEGER
        table = _set_values(table, column, rows["non_integer"], bad)
    if "unknown_references" in rows:
        unknown = rows["unknown_references"]
        if entity == "transactions":
            half = unknown.size // 2
            table = _set_values(
                table, "customer_id", unknown[:half], [f"C{n_customers + 1 + i:06d}" for i in range(half)]
            )
            table = _set_values(
                table,
                "product_id",
                unknown[half:],
                [f"P{n_products + 1 + i:05d}" for i in range(unknown.size - half)],
            )
        else:
            table = _set_values(
                table, "product_id", unknown, [f"P{n_products + 1 + i:05d}" for i in range(unknown.size)]
            )
    return table, rows


def _csv_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue()


def _dirty_lines(lines: list[bytes], rows: dict[str, np.ndarray], primary_key: str) -> list[bytes]:
    """Line-level kinds: drop the key of missing rows, break JSON, duplicate, arrive late."""
    missing = f'"{primary_key}":null,'.encode()
    for row in rows.get("missing_required", ()):
        lines[row] = lines[row].replace(missing, b"", 1)
    for row in rows.get("malformed_json", ()):
        lines[row] = lines[row][: len(lines[row]) // 2] + b"\n"
    late = set(rows.get("late_arriving", np.empty(0, int)).tolist())
    duplicated = set(rows.get("duplicates", np.empty(0, int)).tolist())
    out: list[bytes] = []
    for index, line in enumerate(lines):
        if index in late:
            continue
        out.append(line)
        if index in duplicated:
            out.append(line)
    out.extend(lines[row] for row in sorted(late))
    return out


def _expected(
    injected: dict[str, dict[str, int]],
    tables: dict[str, pa.Table],
    rejected_rows: dict[str, np.ndarray],
    customers_update: pa.Table,
) -> dict[str, Any]:
    """What the pipeline must make of the injected records: per entity, rows rejected by
    reason, attributes flagged, records quarantined by reason, and order lines that must
    attach to an inferred customer or product (their row is fine, the dimension row is not
    there: never landed, or rejected)."""
    expected: dict[str, Any] = {}
    for entity, outcomes in EXPECTED_OUTCOME.items():
        summary: dict[str, dict[str, int]] = {"rejected": {}, "flagged": {}, "quarantined": {}}
        for kind, (outcome, what) in outcomes.items():
            summary[outcome][what] = summary[outcome].get(what, 0) + injected[entity][kind]
        expected[entity] = summary

    def usable_ids(entity: str, extra: pa.Table | None = None) -> set[str]:
        table = tables[entity]
        keep = np.ones(table.num_rows, dtype=bool)
        keep[rejected_rows[entity]] = False
        ids = {
            value for value in table[contract(entity).primary_key].filter(pa.array(keep)).to_pylist() if value
        }
        if extra is not None:
            ids |= set(extra[contract(entity).primary_key].to_pylist())
        return ids

    lines = tables["transactions"]
    kept = np.ones(lines.num_rows, dtype=bool)
    kept[rejected_rows["transactions"]] = False
    kept_lines = lines.filter(pa.array(kept))
    customers, products = usable_ids("customers", customers_update), usable_ids("products")
    expected["transactions"]["lines_with_inferred_customer"] = sum(
        1 for value in kept_lines["customer_id"].to_pylist() if value not in customers
    )
    expected["transactions"]["lines_with_inferred_product"] = sum(
        1 for value in kept_lines["product_id"].to_pylist() if value not in products
    )
    return expected


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def generate(
    out_dir: Path,
    scale: float = 1.0,
    seed: int = 42,
    dirty: float = 0.0,
    end_date: date = DEFAULT_END_DATE,
) -> GenerateReport:
    """Write customers.csv, customers_update.csv, products.csv, transactions.csv,
    events.jsonl.gz and answer_key.json into ``out_dir``."""
    if not 0.0 <= dirty < 0.1:
        raise ValueError(f"--dirty must be in [0, 0.1), got {dirty}")
    gen = _Generator(scale, seed, end_date)
    customers, customers_update, customer_facts = gen.customers()
    products, product_facts = gen.products()
    transactions, order_facts = gen.transactions(customer_facts, product_facts)
    events, identity = gen.events(customer_facts, product_facts, order_facts)
    dirty_rng = np.random.default_rng([seed, 1])
    n_customers, n_products = customers.num_rows, products.num_rows

    injected: dict[str, dict[str, int]] = {}
    rows_written: dict[str, int] = {}
    tables: dict[str, pa.Table] = {}
    rejected_rows: dict[str, np.ndarray] = {}
    for entity, table in (("customers", customers), ("products", products), ("transactions", transactions)):
        line_rows: dict[str, np.ndarray] = {}
        if dirty > 0:
            table, line_rows = _dirty_table(dirty_rng, entity, table, dirty, n_customers, n_products)
            tables[entity] = table
            rejected_rows[entity] = np.concatenate(
                [
                    line_rows[kind]
                    for kind, (outcome, _what) in EXPECTED_OUTCOME[entity].items()
                    if outcome == "rejected"
                ]
            )
            duplicates = line_rows["duplicates"]
            table = pa.concat_tables([table, table.take(pa.array(duplicates))])
        injected[entity] = {
            kind: int(line_rows[kind].size) if kind in line_rows else 0 for kind in DIRTY_KINDS
        }
        _write(out_dir / f"{entity}.csv", _csv_bytes(table))
        rows_written[entity] = table.num_rows
    _write(out_dir / "customers_update.csv", _csv_bytes(customers_update))
    rows_written["customers_update"] = customers_update.num_rows

    event_rows: dict[str, np.ndarray] = {}
    if dirty > 0:
        events, event_rows = _dirty_table(dirty_rng, "events", events, dirty, n_customers, n_products)
        lines = b"".join(ndjson_chunks(events)).splitlines(keepends=True)
        lines = _dirty_lines(lines, event_rows, "event_id")
        step = 131_072
        chunks = [b"".join(lines[i : i + step]) for i in range(0, len(lines), step)]
    else:
        chunks = ndjson_chunks(events)
    injected["events"] = {
        kind: int(event_rows[kind].size) if kind in event_rows else 0 for kind in DIRTY_KINDS
    }
    _write(out_dir / "events.jsonl.gz", gzip_members(chunks))
    rows_written["events"] = events.num_rows + injected["events"]["duplicates"]

    answer_key = {
        "seed": seed,
        "scale": scale,
        "dirty_rate": dirty,
        "end_date": end_date.isoformat(),
        "rows_written": rows_written,
        "injected": injected,
        "late_arrival_note": "late_arriving events are moved to the end of events.jsonl.gz",
        "expected": _expected(injected, tables, rejected_rows, customers_update) if dirty > 0 else {},
        "identity": identity,
    }
    key_path = out_dir / "answer_key.json"
    key_path.write_text(json.dumps(answer_key, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return GenerateReport(out_dir=out_dir, rows=rows_written, answer_key=answer_key)
