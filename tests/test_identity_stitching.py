"""Identity stitching scored against the generator's answer key (clean data)."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from tests.conftest import Built

pytestmark = [pytest.mark.dbt, pytest.mark.xdist_group("built")]


def test_stitching_precision_and_recall_are_at_least_99_percent(
    built: Built, answer_key: dict[str, Any]
) -> None:
    truth: dict[str, str] = answer_key["identity"]["anonymous_to_customer"]
    shared: dict[str, list[str]] = answer_key["identity"]["shared_devices"]
    with duckdb.connect(str(built.settings.warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select anonymous_id, customer_id, is_shared_device from intermediate.int_identities_stitched"
        ).fetchall()
    unrevealed = set(answer_key["identity"]["shared_devices_unrevealed"])
    stitched = {
        anonymous: customer
        for anonymous, customer, _shared in rows
        if customer is not None and anonymous not in unrevealed
    }
    correct = sum(1 for anonymous, customer in stitched.items() if truth.get(anonymous) == customer)
    precision = correct / len(stitched)
    recall = correct / len(truth)
    print(
        f"identity stitching: precision {precision:.4f}, recall {recall:.4f} ({len(truth)} devices;"
        f" {len(unrevealed)} shared devices where only one member logged in are not scored)"
    )
    assert precision >= 0.99 and recall >= 0.99
    flagged = {anonymous for anonymous, _customer, is_shared in rows if is_shared}
    assert set(shared) <= flagged, "every shared device is flagged"
    assert not set(shared) & set(stitched), "a shared device is never merged into one customer"


def test_sessions_before_login_are_attributed_to_the_device_owner(
    built: Built, answer_key: dict[str, Any]
) -> None:
    truth: dict[str, str] = answer_key["identity"]["anonymous_to_customer"]
    with duckdb.connect(str(built.settings.published), read_only=True) as connection:
        sessions = connection.execute(
            "select anonymous_id, customer_id, customer_sk is not null from core.fct_sessions"
        ).fetchall()
    owned = [(anonymous, customer, has_sk) for anonymous, customer, has_sk in sessions if anonymous in truth]
    assert owned, "the sample has devices that logged in"
    assert all(customer == truth[anonymous] and has_sk for anonymous, customer, has_sk in owned)
    anonymous_only = {a for a, c, _sk in sessions if c is None}
    assert not anonymous_only & set(truth), "no session of an identified device stays anonymous"
