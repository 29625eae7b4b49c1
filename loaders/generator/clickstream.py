"""The clickstream of the sample's last days: sessions on devices, anonymous browsing that
later logs in, a few devices shared by two customers, and funnels that drop off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.generator.arrays import hour_seconds, iso, numbered_ids, sample_days, shares, take, uuids
from loaders.generator.entities import EntityGenerator
from loaders.generator.shapes import (
    BROWSE_MIX,
    BROWSE_TYPES,
    COUNTRIES,
    DEVICE_TYPES,
    EVENT_PAGES,
    EVENT_TYPES,
    EVENT_WINDOW_DAYS,
    LANDING_PAGES,
    OTHER_PAGE,
    SIGNUP_CODE,
    SITE,
    TAIL_TYPES,
    TRAFFIC_SOURCES,
)


@dataclass
class Sessions:
    """Devices, who owns them, and the sessions on them: browse events, then a funnel tail."""

    owner: np.ndarray  # per device: the customer (index) who logs in on it, or -1
    second_owner: np.ndarray  # per device: the other member of a shared household, or -1
    shared: np.ndarray  # per device
    device: np.ndarray  # per session
    session_user: np.ndarray  # per session: who would log in, or -1
    browse: np.ndarray  # per session: browse events
    tail_flags: np.ndarray  # per session and TAIL_TYPES: whether the tail has that event
    events_per_session: np.ndarray
    web_orders: np.ndarray  # per order line: placed on the web or in the app
    orders_of_user: np.ndarray  # per customer: such order lines

    @property
    def device_count(self) -> int:
        return len(self.owner)

    @property
    def count(self) -> int:
        return len(self.device)


@dataclass
class Timeline:
    """Every event of every session, in session order: its session, position, type and time."""

    session_of: np.ndarray
    position: np.ndarray
    code: np.ndarray  # index into EVENT_TYPES
    occurred_at: np.ndarray  # epoch seconds
    traffic: np.ndarray  # per session: index into TRAFFIC_SOURCES
    focus_product: np.ndarray  # per session: the product it is about


def events(
    gen: EntityGenerator,
    customers: dict[str, np.ndarray],
    products: dict[str, np.ndarray],
    orders: dict[str, np.ndarray],
) -> tuple[pa.Table, dict[str, Any]]:
    """The last EVENT_WINDOW_DAYS of clickstream, and the answer key's identity section.

    Every string column is an index into a small pool, turned into text by one Arrow take at
    the end (after sorting by time): no per-row Python objects. The steps draw from one
    seeded generator in a fixed order, so the same seed gives the same events.
    """
    rng, target = gen.rng, gen.counts["events"]
    n_customers = len(customers["signup_day"])
    n_products = len(products["popularity"])
    window_start = gen.end_epoch + 1 - EVENT_WINDOW_DAYS * 86_400
    sessions = _sessions(rng, target, n_customers, orders)
    timeline = _timeline(gen, sessions, products, target, window_start)
    event_customer, is_login, timeline.code = _identify(sessions, timeline, customers, window_start)
    code, session_of = timeline.code, timeline.session_of

    product_view, add_to_cart, remove_from_cart, search, purchase_code = (
        EVENT_TYPES.index(name)
        for name in ("product_view", "add_to_cart", "remove_from_cart", "search", "purchase")
    )
    viewed = np.where(
        rng.random(target) < 0.5,
        timeline.focus_product[session_of],
        rng.choice(n_products, size=target, p=products["popularity"]),
    )
    with_product = np.isin(code, [product_view, add_to_cart, remove_from_cart])
    product_of_event = np.where(code == product_view, viewed, timeline.focus_product[session_of])
    product_index = np.where(with_product, product_of_event, -1)
    order_index = _purchased_orders(rng, sessions, timeline, orders, n_customers, code == purchase_code)

    queries = np.unique(np.char.lower(products["subcategory"].astype(str)))
    query_index = rng.integers(0, len(queries), target)
    static_pages = [*LANDING_PAGES, *EVENT_PAGES.values(), OTHER_PAGE]
    product_ids = numbered_ids("P", n_products, 5)
    page_pool = pa.concat_arrays(
        [
            pa.array([SITE + page for page in static_pages]),
            pc.binary_join_element_wise(SITE + "/product/", product_ids, ""),
            pa.array([f"{SITE}/search?q={query}" for query in queries]),
        ]
    )
    # A session lands on a landing page; a product or search event is on its own page; an
    # event type with a page of its own (EVENT_PAGES) is there; anything else on OTHER_PAGE.
    own_pages = [
        (code == EVENT_TYPES.index(event), static_pages.index(page)) for event, page in EVENT_PAGES.items()
    ]
    page_index = np.select(
        [code == EVENT_TYPES.index("page_view"), with_product, code == search, *(w for w, _ in own_pages)],
        [
            rng.integers(0, len(LANDING_PAGES), target),
            len(static_pages) + product_of_event,
            len(static_pages) + n_products + query_index,
            *(page for _where, page in own_pages),
        ],
        default=static_pages.index(OTHER_PAGE),
    )
    referrers = [t[3] for t in TRAFFIC_SOURCES]
    referrer_pool = pa.concat_arrays([page_pool, pa.array(referrers, pa.string())])
    session_referrer = np.array(
        [len(page_pool) + i if r is not None else -1 for i, r in enumerate(referrers)]
    )[timeline.traffic]
    referrer_index = np.where(timeline.position == 0, session_referrer[session_of], np.roll(page_index, 1))

    device_type = rng.choice(len(DEVICE_TYPES), size=sessions.device_count, p=shares(DEVICE_TYPES))
    country_codes = list(COUNTRIES)
    device_country, device_city, city_pool = _device_places(gen, rng, sessions, customers, country_codes)

    anonymous_ids = uuids(rng, sessions.device_count)
    event_ids = uuids(rng, target)
    customer_ids = numbered_ids("C", n_customers, 6, gen.first["customers"])
    order = np.argsort(timeline.occurred_at, kind="stable")
    event_device = sessions.device[session_of][order]
    session_traffic = timeline.traffic[session_of][order]
    table = pa.table(
        {
            "event_id": event_ids.take(order),
            "event_type": take(pa.array(EVENT_TYPES), code[order]),
            "occurred_at": iso(timeline.occurred_at[order]),
            "anonymous_id": anonymous_ids.take(event_device),
            "customer_id": take(customer_ids, event_customer[order]),
            "page_url": take(page_pool, page_index[order]),
            "referrer_url": take(referrer_pool, referrer_index[order]),
            "utm_source": take(pa.array([t[0] for t in TRAFFIC_SOURCES], pa.string()), session_traffic),
            "utm_medium": take(pa.array([t[1] for t in TRAFFIC_SOURCES], pa.string()), session_traffic),
            "utm_campaign": take(pa.array([t[2] for t in TRAFFIC_SOURCES], pa.string()), session_traffic),
            "device_type": take(pa.array([d[0] for d in DEVICE_TYPES]), device_type[event_device]),
            "product_id": take(product_ids, product_index[order]),
            "order_id": take(pa.array(orders["order_ids"], pa.string()), order_index[order]),
            "search_query": take(
                pa.array(queries.astype(object), pa.string()),
                np.where(code == search, query_index, -1)[order],
            ),
            "country_code": take(pa.array(country_codes), device_country[event_device]),
            "city": take(city_pool, device_city[event_device]),
        }
    )
    return table, _identity_key(sessions, timeline, is_login, anonymous_ids, customer_ids)


def _sessions(
    rng: np.random.Generator, target: int, n_customers: int, orders: dict[str, np.ndarray]
) -> Sessions:
    """Devices with their owners (a few shared by two customers), and sessions on them, cut
    so that their events add up to ``target``."""
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
    return Sessions(
        owner=owner,
        second_owner=second_owner,
        shared=shared,
        device=device[:kept],
        session_user=session_user[:kept],
        browse=browse[:kept],
        tail_flags=tail_flags[:kept],
        events_per_session=events_per_session,
        web_orders=web_orders,
        orders_of_user=orders_of_user,
    )


def _timeline(
    gen: EntityGenerator,
    sessions: Sessions,
    products: dict[str, np.ndarray],
    target: int,
    window_start: int,
) -> Timeline:
    """When each session starts (the calendar's demand), where it came from, what it is
    about, and each event's type and time: a page view first, browsing (BROWSE_MIX), then
    the funnel tail in TAIL_TYPES order, seconds to minutes apart."""
    rng, n_sessions, events_per_session = gen.rng, sessions.count, sessions.events_per_session
    day_weights = gen.day_weights[-EVENT_WINDOW_DAYS:]
    day = sample_days(rng, day_weights, np.zeros(n_sessions, int), np.full(n_sessions, EVENT_WINDOW_DAYS - 1))
    session_start = window_start + day * 86_400 + hour_seconds(rng, n_sessions)
    traffic = rng.choice(len(TRAFFIC_SOURCES), size=n_sessions, p=shares(TRAFFIC_SOURCES))
    focus_product = rng.choice(len(products["popularity"]), size=n_sessions, p=products["popularity"])

    session_of = np.repeat(np.arange(n_sessions), events_per_session)
    session_first = np.cumsum(events_per_session) - events_per_session
    position = np.arange(target) - np.repeat(session_first, events_per_session)
    tail_codes = np.where(
        sessions.tail_flags, np.arange(len(BROWSE_TYPES), len(BROWSE_TYPES) + len(TAIL_TYPES)), 99
    )
    tail_codes = np.sort(tail_codes, axis=1)
    in_browse = position < sessions.browse[session_of]
    page_view = EVENT_TYPES.index("page_view")  # a session's first event
    browse_mix = [BROWSE_MIX[name] for name in BROWSE_TYPES]
    browse_code = np.where(position == 0, page_view, rng.choice(len(BROWSE_TYPES), size=target, p=browse_mix))
    tail_index = np.clip(position - sessions.browse[session_of], 0, len(TAIL_TYPES) - 1)
    code = np.where(in_browse, browse_code, tail_codes[session_of, tail_index])

    gaps = np.clip(rng.exponential(45.0, target), 1, 900).astype(np.int64)
    gaps[position == 0] = 0
    cumulative = np.cumsum(gaps)
    occurred_at = session_start[session_of] + cumulative - cumulative[session_first][session_of]
    return Timeline(session_of, position, code, occurred_at, traffic, focus_product)


def _identify(
    sessions: Sessions, timeline: Timeline, customers: dict[str, np.ndarray], window_start: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who each event is known to be (customer index, or -1), which events are logins, and
    the event types with sign-ups marked.

    Once a device has logged in it stays logged in, except shared devices, where each
    household member logs in per session. A device's first login is a sign-up when its
    owner signed up inside the window.
    """
    session_of, occurred_at, owner = timeline.session_of, timeline.occurred_at, sessions.owner
    login_code = len(BROWSE_TYPES) + TAIL_TYPES.index("login")
    is_login = timeline.code == login_code
    first_login = np.full(sessions.device_count, np.iinfo(np.int64).max)
    np.minimum.at(first_login, sessions.device[session_of[is_login]], occurred_at[is_login])
    session_login_at = np.full(sessions.count, np.iinfo(np.int64).max)
    np.minimum.at(session_login_at, session_of[is_login], occurred_at[is_login])
    event_device = sessions.device[session_of]
    known = np.where(
        sessions.shared[sessions.device][session_of],
        occurred_at >= session_login_at[session_of],
        occurred_at >= first_login[event_device],
    )
    event_customer = np.where(known, sessions.session_user[session_of], -1)
    new_owner = (owner[event_device] >= 0) & (
        customers["signup_at"][np.maximum(owner[event_device], 0)] >= window_start
    )
    signs_up = is_login & new_owner & (occurred_at == first_login[event_device])
    return event_customer, is_login, np.where(signs_up, SIGNUP_CODE, timeline.code)


def _purchased_orders(
    rng: np.random.Generator,
    sessions: Sessions,
    timeline: Timeline,
    orders: dict[str, np.ndarray],
    n_customers: int,
    is_purchase: np.ndarray,
) -> np.ndarray:
    """Per event, the order line (index) a purchase event names: one of the buyer's web or
    app orders; -1 for other events."""
    target = len(timeline.code)
    order_rows = np.flatnonzero(sessions.web_orders)
    by_customer = order_rows[np.argsort(orders["order_customer"][order_rows], kind="stable")]
    first_row = np.searchsorted(orders["order_customer"][by_customer], np.arange(n_customers))
    buyer = np.maximum(sessions.session_user[timeline.session_of], 0)
    offset = (rng.random(target) * np.maximum(sessions.orders_of_user[buyer], 1)).astype(np.int64)
    order_index = np.full(target, -1, dtype=np.int64)
    if len(by_customer):
        pick = np.minimum(first_row[buyer] + offset, len(by_customer) - 1)
        order_index[is_purchase] = by_customer[pick[is_purchase]]
    return order_index


def _device_places(
    gen: EntityGenerator,
    rng: np.random.Generator,
    sessions: Sessions,
    customers: dict[str, np.ndarray],
    country_codes: list[str],
) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Per device, its country and city (indexes into country_codes and the city pool), and
    the city pool: an owned device is where its owner lives, another somewhere in a country."""
    owner = sessions.owner
    by_code = np.argsort(country_codes)
    owner_country = by_code[np.searchsorted(np.array(country_codes), customers["country"], sorter=by_code)]
    device_country = np.where(
        owner >= 0,
        owner_country[np.maximum(owner, 0)],
        rng.integers(0, len(COUNTRIES), sessions.device_count),
    )
    # City pool: every customer's city, then every pooled city per country.
    pooled = [gen.pools.places[c][:, 0] for c in country_codes]
    pool_start = len(customers["city"]) + np.cumsum([0] + [len(p) for p in pooled[:-1]])
    city_pool = pa.array(np.concatenate([customers["city"], *pooled]), pa.string())
    pooled_sizes = np.array([len(p) for p in pooled])
    anonymous_city = pool_start[device_country] + (
        rng.random(sessions.device_count) * pooled_sizes[device_country]
    ).astype(np.int64)
    device_city = np.where(owner >= 0, np.maximum(owner, 0), anonymous_city)
    return device_country, device_city, city_pool


def _identity_key(
    sessions: Sessions,
    timeline: Timeline,
    is_login: np.ndarray,
    anonymous_ids: pa.Array,
    customer_ids: pa.Array,
) -> dict[str, Any]:
    """The answer key's truth for identity stitching: each single-owner device that logged
    in, and the shared devices (revealed when both members logged in within the window)."""
    owner, second_owner, shared, device = (
        sessions.owner,
        sessions.second_owner,
        sessions.shared,
        sessions.device,
    )
    session_of = timeline.session_of
    customers = np.asarray(customer_ids.to_numpy(zero_copy_only=False))
    anonymous = np.asarray(anonymous_ids.to_numpy(zero_copy_only=False))
    logged_in = np.zeros(sessions.device_count, dtype=bool)
    logged_in[device[session_of[is_login]]] = True
    single = logged_in & (owner >= 0) & ~shared
    login_pairs = np.unique(
        np.stack([device[session_of[is_login]], sessions.session_user[session_of[is_login]]]), axis=1
    )
    users_logged_in = np.bincount(login_pairs[0], minlength=sessions.device_count)
    return {
        "anonymous_to_customer": dict(
            zip(anonymous[single].tolist(), customers[owner[single]].tolist(), strict=True)
        ),
        "shared_devices": {
            anonymous[d]: sorted({customers[owner[d]], customers[second_owner[d]]})
            for d in np.flatnonzero(shared & logged_in & (users_logged_in >= 2))
        },
        # Shared, but only one member ever logged in within the window: the data cannot
        # tell these from a single owner's device, so stitching is not scored on them.
        "shared_devices_unrevealed": {
            anonymous[d]: sorted({customers[owner[d]], customers[second_owner[d]]})
            for d in np.flatnonzero(shared & logged_in & (users_logged_in < 2))
        },
    }
