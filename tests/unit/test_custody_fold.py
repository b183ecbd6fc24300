"""The custody fold (hub.domain.custody): one asset's events in event order, pure."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hub.domain.custody import Anomaly, Condition, Fact, Kind, fold
from hub.domain.strikes import StrikeRules, ban_reason, earned_ban, settle_ban
from wire.ids import uuid7

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
GRACE = timedelta(minutes=15)
SEQ = itertools.count(1)


def fact(
    kind: Kind,
    minutes: float,
    person: str | None = "ada",
    kiosk: str = "cage-1",
    due_hours: float = 2,
    condition: Condition | None = None,
) -> Fact:
    at = T0 + timedelta(minutes=minutes)
    return Fact(
        id=uuid7(int(at.timestamp() * 1000)),
        at=at,
        kind=kind,
        kiosk=kiosk,
        seq=next(SEQ),
        person=person,
        due=at + timedelta(hours=due_hours) if kind is not Kind.RETURN else None,
        condition=condition,
    )


def test_a_return_that_arrives_before_its_checkout_still_ends_the_loan() -> None:
    lent = fact(Kind.CHECKOUT, 0, kiosk="cage-1")
    back = fact(Kind.RETURN, 240, person=None, kiosk="door-1")
    assert fold("CAM-1", [back], GRACE).holding is None  # alone, it is a stray return...
    alone = fold("CAM-1", [back], GRACE)
    assert [f.kind for f in alone.flags] == [Anomaly.NOT_ON_LOAN]
    both = fold("CAM-1", [back, lent], GRACE)  # ...until its checkout turns up
    assert both.holding is None and both.flags == ()
    assert [lr.minutes_late for lr in both.late] == [120]
    assert both == fold("CAM-1", [lent, back], GRACE)


def test_a_door_clock_an_hour_behind_still_ends_the_loan_and_says_so() -> None:
    lent = fact(Kind.CHECKOUT, 0)
    back = fact(Kind.RETURN, -30, person=None, kiosk="door-1")  # really 30 min after
    c = fold("CAM-1", [lent, back], GRACE)
    assert c.holding is None and c.late == ()
    [flag] = c.flags
    assert flag.kind is Anomaly.RETURN_BEFORE_LOAN and "check door-1's clock" in flag.detail


def test_a_stray_return_long_before_a_checkout_does_not_end_it() -> None:
    back = fact(Kind.RETURN, -600, person=None, kiosk="door-1")
    lent = fact(Kind.CHECKOUT, 0)
    c = fold("CAM-1", [lent, back], GRACE)
    assert c.holding is not None and c.holding.person == "ada"
    assert [f.kind for f in c.flags] == [Anomaly.NOT_ON_LOAN]


def test_someone_elses_return_before_a_loan_does_not_end_it() -> None:
    c = fold("CAM-1", [fact(Kind.RETURN, -10, person="grace"), fact(Kind.CHECKOUT, 0)], GRACE)
    assert c.holding is not None


def test_two_offline_kiosks_lending_one_item_the_later_holds_it_and_it_is_flagged() -> None:
    a = fact(Kind.CHECKOUT, 0, person="ada", kiosk="cage-1")
    g = fact(Kind.CHECKOUT, 5, person="grace", kiosk="cage-2")
    for order in ([a, g], [g, a]):
        c = fold("CAM-1", order, GRACE)
        assert c.holding is not None and c.holding.person == "grace"
        [flag] = c.flags
        assert flag.kind is Anomaly.DOUBLE_LENDING and "while held by ada" in flag.detail


def test_an_extension_moves_the_due_time_only_for_the_holder() -> None:
    lent = fact(Kind.CHECKOUT, 0)
    ext = fact(Kind.EXTEND, 60, due_hours=24)
    c = fold("CAM-1", [ext, lent], GRACE)
    assert c.holding is not None and c.holding.renewals == 1 and c.holding.due == ext.due
    other = fold("CAM-1", [lent, fact(Kind.EXTEND, 60, person="grace")], GRACE)
    assert [f.kind for f in other.flags] == [Anomaly.STRAY_EXTENSION]


def test_a_damaged_return_is_a_problem_of_whoever_held_it_whenever_that_is_learnt() -> None:
    lent = fact(Kind.CHECKOUT, 0)
    back = fact(Kind.RETURN, 30, person=None, condition=Condition.DAMAGED)
    early = fold("CAM-1", [back], GRACE)
    assert early.problems[0].person is None
    late = fold("CAM-1", [back, lent], GRACE)
    assert late.problems[0].person == "ada" and late.problems[0].loan_event_id == lent.id


def test_duplicates_count_once() -> None:
    lent = fact(Kind.CHECKOUT, 0)
    back = fact(Kind.RETURN, 200)
    assert fold("CAM-1", [lent, back, back, lent], GRACE) == fold("CAM-1", [lent, back], GRACE)


KINDS = st.sampled_from([Kind.CHECKOUT, Kind.RETURN, Kind.EXTEND])
EVENTS = st.lists(
    st.tuples(
        KINDS,
        st.integers(min_value=-600, max_value=6000),
        st.sampled_from(["ada", "grace", None]),
        st.sampled_from([None, Condition.OK, Condition.DAMAGED]),
    ),
    max_size=12,
)


@given(EVENTS, st.randoms(use_true_random=False))
def test_any_order_and_any_repeats_give_the_same_custody(
    spec: list[tuple[Kind, int, str | None, Condition | None]], rnd: object
) -> None:
    facts = [
        fact(k, m, person=p or ("ada" if k is not Kind.RETURN else None), condition=c)
        for k, m, p, c in spec
    ]
    shuffled = list(facts) + facts[: len(facts) // 2]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert fold("CAM-1", shuffled, GRACE) == fold("CAM-1", facts, GRACE)


@given(EVENTS)
def test_the_holder_is_whoever_checked_out_last_unless_a_return_followed(
    spec: list[tuple[Kind, int, str | None, Condition | None]],
) -> None:
    facts = [fact(k, m, person=p or "ada") for k, m, p, _c in spec if k is not Kind.EXTEND]
    c = fold("CAM-1", facts, timedelta(0), tolerance=timedelta(0))
    ordered = sorted({f.id: f for f in facts}.values(), key=lambda f: f.order)
    last = ordered[-1] if ordered else None
    if last is None or last.kind is Kind.RETURN:
        assert c.holding is None
    else:
        assert c.holding is not None and c.holding.event_id == last.id


def test_strikes_lengthen_a_managers_block_but_never_lift_it() -> None:
    rules = StrikeRules(limit=2, term=timedelta(days=30), ban=timedelta(days=14))
    block = (T0 + timedelta(days=7), "damaged a lens on purpose")
    earned = earned_ban([T0, T0 + timedelta(days=1)], T0 + timedelta(days=1), rules)
    assert earned is not None
    longer = settle_ban(*block, earned, T0 + timedelta(days=1), rules)
    assert longer == (earned.until, "damaged a lens on purpose")  # the manager's reason stays
    assert longer is not None
    assert settle_ban(*longer, None, T0 + timedelta(days=2), rules) is None  # strike withdrawn
    struck = (earned.until, ban_reason(earned, rules))
    assert settle_ban(*struck, None, T0 + timedelta(days=2), rules) == (None, None)
