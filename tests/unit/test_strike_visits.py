"""Strikes per visit: items brought back late together are one strike, whatever order the hub
learns of them in; per item, each is one."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hub.domain.strikes import Count, LateItem, StrikeRules, earned_ban, strikes

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
VISIT = StrikeRules(limit=2, visit=timedelta(minutes=30))
ITEM = StrikeRules(limit=2, per=Count.ITEM)


def _late(n: int, minutes: float, session: str | None = None) -> LateItem:
    return LateItem(f"ev-{n}", T0 + timedelta(minutes=minutes), session)


def test_two_items_brought_back_late_in_one_session_are_one_strike_of_two_items() -> None:
    together = [_late(1, 0, "s1"), _late(2, 0, "s1")]
    [strike] = strikes(together, VISIT)
    assert strike.items == 2 and strike.at == T0
    # and they do not ban on their own (limit 2): one strike is not two
    assert earned_ban([s.at for s in strikes(together, VISIT)], T0, VISIT) is None


def test_scans_a_few_minutes_apart_at_a_return_station_are_one_visit() -> None:
    # a station makes a session per scan: three items, two minutes apart
    scans = [_late(n, 2 * n, f"return-{n}") for n in range(3)]
    [strike] = strikes(scans, VISIT)
    assert strike.items == 3


def test_late_returns_on_different_days_are_separate_strikes() -> None:
    days = [_late(1, 0, "s1"), _late(2, 24 * 60, "s2")]
    assert [s.items for s in strikes(days, VISIT)] == [1, 1]
    assert earned_ban([s.at for s in strikes(days, VISIT)], T0 + timedelta(days=1), VISIT)


def test_per_item_counts_each_late_item() -> None:
    together = [_late(1, 0, "s1"), _late(2, 0, "s1")]
    assert [s.items for s in strikes(together, ITEM)] == [1, 1]
    ban = earned_ban([s.at for s in strikes(together, ITEM)], T0, ITEM)
    assert ban is not None and ban.strikes == 2


def test_one_session_is_one_visit_however_long_it_lasted() -> None:
    # a kiosk session is one visit even when its returns are stamped far apart
    long = [_late(1, 0, "s1"), _late(2, 90, "s1")]
    assert [s.items for s in strikes(long, VISIT)] == [2]


_items = st.lists(
    st.builds(
        LateItem,
        event_id=st.text("abcdef", min_size=1, max_size=4),
        returned=st.integers(0, 600).map(lambda m: T0 + timedelta(minutes=m)),
        session=st.one_of(st.none(), st.sampled_from(["s1", "s2", "s3"])),
    ),
    max_size=12,
    unique_by=lambda i: i.event_id,
)


@given(_items, st.randoms(use_true_random=False))
def test_strikes_do_not_depend_on_the_order_items_became_known(
    items: list[LateItem], rnd: random.Random
) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    for rules in (VISIT, ITEM):
        assert strikes(shuffled, rules) == strikes(items, rules)
        # and a resend of one of them changes nothing
        assert strikes(shuffled + shuffled[:1], rules) == strikes(items, rules)


@given(_items)
def test_every_late_item_is_in_exactly_one_strike(items: list[LateItem]) -> None:
    visits = strikes(items, VISIT)
    assert sum(s.items for s in visits) == len(items)
    assert len(visits) <= len(strikes(items, ITEM)) == len(items)
    assert [s.at for s in visits] == sorted(s.at for s in visits)


@given(_items)
def test_per_visit_never_bans_sooner_than_per_item(items: list[LateItem]) -> None:
    now = T0 + timedelta(hours=11)
    by_visit = earned_ban([s.at for s in strikes(items, VISIT)], now, VISIT)
    by_item = earned_ban([s.at for s in strikes(items, ITEM)], now, ITEM)
    if by_visit is not None:
        assert by_item is not None
