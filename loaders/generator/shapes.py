"""The shapes of the sample, declared as data: how many of each entity, where customers
live, what is sold at what price, how people pay and arrive, which pages a session visits,
and when in the week and the day people buy."""

from __future__ import annotations

import math
from datetime import date

SEED_SCALE = {"customers": 5_000, "products": 200, "transactions": 50_000, "events": 100_000}
DEFAULT_END_DATE = date(2025, 12, 31)
HISTORY_DAYS = 730
EVENT_WINDOW_DAYS = 30
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
# What share of a session's browsing events is each browse type (after the first, a page view).
BROWSE_MIX = {"page_view": 0.25, "product_view": 0.55, "search": 0.20}
# Pages: where a session lands, and the page of each event type that has one of its own;
# product views, cart events and searches are on the product's or the search's page.
LANDING_PAGES = ("/", "/sale", "/new", "/category/home", "/category/electronics")
EVENT_PAGES = {
    "begin_checkout": "/checkout",
    "purchase": "/checkout/confirmation",
    "login": "/login",
    "signup": "/signup",
}
OTHER_PAGE = "/cart"  # any other event
# Relative demand by weekday (Monday first) and by hour of the day (UTC).
WEEKDAY_DEMAND = (0.9, 0.85, 0.9, 0.95, 1.1, 1.3, 1.25)
HOURLY_DEMAND = (2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 7, 8, 9, 8, 7, 7, 7, 8, 9, 11, 12, 11, 8, 4)


def scaled_counts(scale: float) -> dict[str, int]:
    if not (math.isfinite(scale) and 0 < scale <= MAX_SCALE):
        raise ValueError(f"--scale must be a positive number up to {MAX_SCALE:g}, got {scale}")
    return {name: max(1, round(n * scale)) for name, n in SEED_SCALE.items()}
