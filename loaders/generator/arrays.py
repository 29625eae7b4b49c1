"""Vectorised building blocks of the sample: weighted choices, ids, ISO timestamps, money
as text, UUIDs and days drawn with the demand of the calendar, all numpy and Arrow."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.generator.shapes import HOURLY_DEMAND, WEEKDAY_DEMAND

NULL = np.array(None, dtype=object)  # a typed null for np.where


def choice(rng: np.random.Generator, options: tuple[tuple[Any, float], ...], size: int) -> np.ndarray:
    values = np.array([o[0] for o in options], dtype=object)
    weights = np.array([o[1] for o in options])
    return values[rng.choice(len(values), size=size, p=weights / weights.sum())]


def numbered_ids(prefix: str, n: int, width: int, first: int = 1) -> pa.Array:
    """``n`` ids ``<prefix><number>``, numbers from ``first`` zero-padded to ``width``."""
    numbers = pc.cast(pa.array(np.arange(first, first + n)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width, "0"), "")


def iso(seconds: np.ndarray) -> pa.Array:
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


def shares(options: tuple[tuple[Any, ...], ...]) -> np.ndarray:
    weights: np.ndarray = np.array([o[-1] for o in options], dtype=float)
    return weights / float(weights.sum())


def take(pool: pa.Array, index: np.ndarray) -> pa.Array:
    """pool[index] as an Arrow array; a negative index gives null."""
    return pool.take(pa.array(index, mask=index < 0))


def cents_text(cents: np.ndarray) -> pa.Array:
    """Non-negative integer cents -> '12.30' text, exactly two decimals."""
    cents = np.asarray(cents, dtype=np.int64)
    whole = pc.cast(pa.array(cents // 100), pa.string())
    fraction = pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), 2, "0")
    return pc.binary_join_element_wise(whole, fraction, ".")


def uuids(rng: np.random.Generator, n: int) -> pa.Array:
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


def day_weights(start: date, days: int) -> np.ndarray:
    """Relative demand per day: weekly rhythm, a December peak, Black Friday, and growth."""
    day_index = np.arange(days)
    dates = np.datetime64(start) + day_index.astype("timedelta64[D]")
    weekday = (dates.astype("datetime64[D]").view("int64") - 4) % 7  # 0 = Monday
    weekly = np.array(WEEKDAY_DEMAND)[weekday]
    day_of_year = (dates - dates.astype("datetime64[Y]")).astype(int)
    yearly = 1.0 + 0.45 * np.exp(-(((day_of_year - 345) / 25.0) ** 2))
    months = dates.astype("datetime64[M]").astype(int) % 12 + 1
    black_friday = np.where((months == 11) & (day_of_year >= 327) & (day_of_year <= 333), 1.8, 1.0)
    growth = 1.0 + 0.5 * day_index / max(days - 1, 1)
    return np.asarray(weekly * yearly * black_friday * growth)


def hour_seconds(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds into the day, with a lunchtime and an evening peak."""
    hourly = np.array(HOURLY_DEMAND, dtype=float)
    hours = rng.choice(24, size=size, p=hourly / hourly.sum())
    return hours * 3600 + rng.integers(0, 3600, size=size)


def sample_days(
    rng: np.random.Generator, weights: np.ndarray, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """One day per row in [low, high], drawn with the given daily weights (inverse CDF)."""
    cumulative = np.concatenate([[0.0], np.cumsum(weights)])
    u = rng.uniform(cumulative[low], cumulative[high + 1])
    days: np.ndarray = np.clip(np.searchsorted(cumulative, u, side="right") - 1, low, high)
    return days


def epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
