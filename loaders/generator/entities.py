"""The sample's customers (and a second export of some of them), products and order lines."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.generator.arrays import (
    cents_text,
    choice,
    day_weights,
    epoch,
    hour_seconds,
    iso,
    numbered_ids,
    sample_days,
)
from loaders.generator.shapes import (
    CATEGORIES,
    CHANNELS,
    COUNTRIES,
    HISTORY_DAYS,
    PAYMENT_METHODS,
    scaled_counts,
)


class _Pools:
    """Small pools of Faker values per country, built once per run."""

    def __init__(self, seed: int, size: int = 250) -> None:
        from faker import Faker  # here, not at import: the CLI starts without Faker

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


def _order_faker_pools(fake: Any) -> None:
    """Sort the city lists Faker draws from: some locales build them from a set (it_IT), whose
    order follows the string hash seed, so the same seed gave other cities in another process."""
    for provider in fake.providers:
        cities = getattr(provider, "cities", None)
        if isinstance(cities, list):
            provider.cities = sorted(cities)


class EntityGenerator:
    """The customers, products and order lines of one sample, from one seeded generator."""

    def __init__(
        self,
        scale: float,
        seed: int,
        end_date: date,
        part: int = 0,
        first: dict[str, int] | None = None,
        products: int | None = None,
    ) -> None:
        """One part of a sample (``generate`` makes a large one in parts of bounded size):
        part 0 draws from ``seed`` (a one-part sample is as it always was), part i from
        (seed, i); ``first`` numbers this part's first customer, order and order line
        (the ones before it are other parts'), and ``products`` is the whole sample's count."""
        self.counts = scaled_counts(scale)
        if products is not None:
            self.counts["products"] = products
        self.first = {"customers": 1, "orders": 1, "transactions": 1, **(first or {})}
        self.seed = seed
        self.rng = np.random.default_rng(seed if part == 0 else [seed, part])
        self.pools = _Pools(seed)
        self.end_date = end_date
        self.start_date = end_date - timedelta(days=HISTORY_DAYS - 1)
        self.start_epoch = epoch(self.start_date)
        self.end_epoch = epoch(end_date) + 86_399
        self.day_weights = day_weights(self.start_date, HISTORY_DAYS)

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
        signup_at = self.start_epoch + signup_day * 86_400 + hour_seconds(rng, n)
        updated_at = np.minimum(signup_at + rng.integers(0, 30 * 86_400, n), self.end_epoch - 7 * 86_400)
        updated_at = np.maximum(updated_at, signup_at)
        birth_day = rng.integers(epoch(date(1945, 1, 1)) // 86_400, epoch(date(2006, 1, 1)) // 86_400, n)
        gender = choice(rng, (("female", 0.48), ("male", 0.47), ("other", 0.02), ("", 0.03)), n)
        opt_in = np.where(rng.random(n) < 0.55, "true", "false").astype(object)
        ids = numbered_ids("C", n, 6, self.first["customers"])
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
                "signup_at": iso(signup_at),
                "marketing_opt_in": pa.array(opt_in),
                "updated_at": iso(updated_at),
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
            "updated_at": iso(change_at),
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
                "product_id": numbered_ids("P", n, 5),
                "product_name": name,
                "category": pa.array(category),
                "subcategory": pa.array(subcategory),
                "brand": pa.array(brand),
                "unit_price": cents_text(price_cents),
                "unit_cost": cents_text(cost_cents),
                "is_active": pa.array(np.where(rng.random(n) < 0.95, "true", "false").astype(object)),
                "updated_at": iso(updated_at),
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
        day = sample_days(rng, self.day_weights, window_low[order_customer], window_high[order_customer])
        ordered_at = self.start_epoch + day * 86_400 + hour_seconds(rng, n_orders)
        ordered_at = np.maximum(ordered_at, customers["signup_at"][order_customer] + 60)
        order_sort = np.argsort(ordered_at, kind="stable")
        order_customer, ordered_at, lines_per_order = (
            order_customer[order_sort],
            ordered_at[order_sort],
            lines_per_order[order_sort],
        )
        channel = choice(rng, CHANNELS, n_orders)
        payment = choice(rng, PAYMENT_METHODS, n_orders)
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
        quantity = choice(rng, ((1, 0.74), (2, 0.18), (3, 0.05), (4, 0.02), (5, 0.01)), target).astype(
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
        order_ids = numbered_ids("O", n_orders, 7, self.first["orders"])
        table = pa.table(
            {
                "transaction_id": numbered_ids("T", target, 8, self.first["transactions"]),
                "order_id": order_ids.take(pa.array(order_of_line)),
                "customer_id": numbered_ids("C", n_customers, 6, self.first["customers"]).take(
                    pa.array(order_customer[order_of_line])
                ),
                "product_id": numbered_ids("P", n_products, 5).take(pa.array(product)),
                "quantity": pc.cast(pa.array(quantity), pa.string()),
                "unit_price": cents_text(price),
                "discount_amount": cents_text(discount),
                "channel": pa.array(channel[order_of_line]),
                "payment_method": pa.array(payment[order_of_line]),
                "status": pa.array(status),
                "ordered_at": iso(line_ordered_at),
                "updated_at": iso(updated_at),
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
