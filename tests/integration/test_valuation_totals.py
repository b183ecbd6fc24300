"""The reports page's valuation totals, summed by the database, are the sum of the book values
listed asset by asset (``valuation`` and its CSV): on SQLite and PostgreSQL, for both methods,
assets without a cost or a date, disposed ones, and ones bought after the day (not counted)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from hub.domain.valuation import Depreciation, Method, book_value
from hub.store import Store
from hub.store.schema import assets

DAY0 = date(2020, 1, 1)
CATEGORIES = ("camera", "lens", "light", "unruled")  # the last has no row: default rule

rules = st.tuples(st.sampled_from(list(Method)), st.integers(1, 12), st.integers(0, 99))
items = st.tuples(
    st.sampled_from(CATEGORIES),
    st.one_of(st.none(), st.integers(0, 10**9).map(lambda c: Decimal(c).scaleb(-2))),
    st.one_of(st.none(), st.integers(0, 4000).map(lambda d: DAY0 + timedelta(days=d))),
    st.sampled_from(["available", "out", "maintenance", "disposed"]),
)


@pytest.fixture
def store(hub_url: str) -> Iterator[Store]:
    s = Store.open(hub_url)
    try:
        yield s
    finally:
        s.close()


def _fill(store: Store, ruled: list[tuple[Method, int, int]], rows: list[Any]) -> None:
    for name, (method, life, salvage) in zip(CATEGORIES, ruled, strict=False):
        store.set_depreciation(name, method, life, salvage)
    with store.engine.begin() as conn:
        conn.execute(delete(assets))
        for n, (category, cost, acquired, status) in enumerate(rows):
            conn.execute(
                insert(assets).values(
                    code=f"A-{n}",
                    name=f"Item {n}",
                    category=category,
                    cost=cost,
                    acquired=acquired,
                    status=status,
                )
            )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(rules, min_size=3, max_size=3),
    st.lists(items, max_size=25),
    st.integers(-30, 6000).map(lambda d: DAY0 + timedelta(days=d)),
)
def test_totals_are_the_sum_of_the_listed_values(
    store: Store, ruled: list[tuple[Method, int, int]], rows: list[Any], on: date
) -> None:
    _fill(store, ruled, rows)
    listed = store.valuation(on)
    totals = store.valuation_totals(on)
    kept = [r for r in rows if r[3] != "disposed" and (r[2] is None or r[2] <= on)]
    assert totals.counted == len(listed) == len(kept)
    assert totals.valued == sum(1 for v in listed if v.value is not None)
    assert totals.cost == sum((v.cost for v in listed if v.cost is not None), Decimal(0))
    assert totals.book_value == sum((v.value for v in listed if v.value is not None), Decimal(0))
    by_category = dict(zip(CATEGORIES, ruled, strict=False))
    for v in listed:  # and each listed value is the rule's
        if v.value is None:
            assert v.cost is None or v.acquired is None
            continue
        assert v.cost is not None and v.acquired is not None
        method, life, salvage = by_category.get(v.category, (Method.STRAIGHT_LINE, 5, 0))
        assert v.value == book_value(v.cost, v.acquired, on, Depreciation(method, life, salvage))
