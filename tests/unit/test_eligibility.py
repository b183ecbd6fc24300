"""The rule book (rules.eligibility): who may borrow what, as properties that hold for any
groups, trainings, times and bookings; and the kiosk's judgement built on it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from hub.desk.cart import lines_for
from rules.eligibility import (
    OutsideGroups,
    Untrained,
    blocked_when,
    booked_by_other,
    clean_groups,
    group_key,
    groups_text,
    outside_groups,
    over_limit,
    untrained,
)
from rules.lending import Action, Booking, Cart, Item, Person, judge
from wire import DenialReason, ReplicaPolicy

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# course and department names; ASCII, since a few letters change under case mapping (the
# dotless i upper-cases to I, which lower-cases to i)
names = st.text(st.sampled_from("abcxyzABCXYZ0129 -é"), min_size=1, max_size=12).filter(
    lambda s: s.strip()
)
group_sets = st.lists(names, max_size=5)
times = st.integers(-1000, 1000).map(lambda h: T0 + timedelta(hours=h))


def _respelled(name: str, upper: bool) -> str:
    """The same group as another source may spell it: other case, doubled spaces."""
    again = "  ".join(name.split())
    return f" {again.upper() if upper else again.lower()} "


@given(group_sets)
def test_a_category_with_no_groups_is_open_to_everyone(member_of: list[str]) -> None:
    assert outside_groups([], member_of) is None


@given(group_sets.filter(bool), group_sets)
def test_someone_is_kept_out_exactly_when_they_share_no_group(
    allowed: list[str], member_of: list[str]
) -> None:
    shared = {group_key(g) for g in allowed} & {group_key(g) for g in member_of}
    refusal = outside_groups(allowed, member_of)
    assert (refusal is None) == bool(shared)
    if refusal is not None:
        assert refusal == OutsideGroups(clean_groups(allowed))


@given(group_sets.filter(bool), group_sets, st.booleans(), st.randoms())
def test_case_spaces_order_and_repeats_of_groups_do_not_change_the_answer(
    allowed: list[str], member_of: list[str], upper: bool, rnd: random.Random
) -> None:
    respelled = [_respelled(g, upper) for g in member_of] * 2
    rnd.shuffle(respelled)
    assert (outside_groups(allowed, member_of) is None) == (
        outside_groups(allowed, respelled) is None
    )


@given(group_sets.filter(bool), group_sets, names)
def test_joining_one_more_group_never_takes_access_away(
    allowed: list[str], member_of: list[str], extra: str
) -> None:
    if outside_groups(allowed, member_of) is None:
        assert outside_groups(allowed, [*member_of, extra]) is None
    assert outside_groups(allowed, [*member_of, allowed[0]]) is None


@given(group_sets)
def test_cleaning_groups_keeps_each_once_and_is_stable(groups: list[str]) -> None:
    kept = clean_groups(groups)
    assert clean_groups(kept) == kept
    assert len({group_key(g) for g in kept}) == len(kept)
    assert {group_key(g) for g in kept} == {group_key(g) for g in groups}


@given(st.lists(names, min_size=1, max_size=8))
def test_the_refusal_names_the_groups_and_stays_short(groups: list[str]) -> None:
    kept = clean_groups(groups)
    text = groups_text(OutsideGroups(kept))
    assert text.startswith("Only for ") and text.endswith(": you are not in it")
    assert kept[0] in text
    if len(kept) > 3:
        assert f"{len(kept) - 2} other groups" in text


@given(
    names,
    st.dictionaries(names, st.none() | times, max_size=4),
    times,
    st.integers(0, 1000),
)
def test_a_missing_or_expired_training_stays_missing_later(
    needed: str, held: dict[str, datetime | None], at: datetime, hours: int
) -> None:
    lacking = untrained(needed, held, at)
    if needed not in held:
        assert lacking == Untrained(needed, None)
    elif (expires := held[needed]) is not None and expires <= at:
        assert lacking == Untrained(needed, expires)
    else:
        assert lacking is None
    if lacking is not None:
        assert untrained(needed, held, at + timedelta(hours=hours)) is not None
    assert untrained(None, held, at) is None


@given(st.none() | times, st.none() | times, times)
def test_a_block_counts_only_from_when_it_was_set_until_it_ends(
    since: datetime | None, until: datetime | None, at: datetime
) -> None:
    counted = blocked_when(since, until, at)
    assert counted == (until is not None and until > at and (since is None or since <= at))


@given(st.integers(1, 20), st.integers(0, 30), st.integers(0, 30))
def test_the_item_limit_is_reached_at_exactly_the_limit(limit: int, held: int, cart: int) -> None:
    assert over_limit(limit, held, cart) == (held + cart >= limit)
    assert not over_limit(None, held, cart)
    if over_limit(limit, held, cart):
        assert over_limit(limit, held + 1, cart)


windows = st.tuples(st.sampled_from(["ada", "bo"]), times, st.integers(1, 100)).map(
    lambda w: Booking(w[0], w[1], w[1] + timedelta(hours=w[2]))
)


@given(st.lists(windows, max_size=6), times, st.integers(1, 100))
def test_only_someone_else_s_overlapping_booking_stands_in_the_way(
    bookings: list[Booking], starts: datetime, hours: int
) -> None:
    ends = starts + timedelta(hours=hours)
    found = booked_by_other(bookings, "ada", starts, ends)
    others = [b for b in bookings if b.person != "ada" and b.starts < ends and b.ends > starts]
    assert found == (others[0] if others else None)


# the kiosk's judgement (rules.lending.judge) with groups ----------------------------------

POLICY = ReplicaPolicy.model_validate({"groups": {"camera": ["Film 101", "Photo Club"]}})
CAMERA = Item("CAM-1", "Canon C70", "camera")
LENS = Item("LENS-1", "Zeiss 50mm", "lens")


@given(group_sets)
def test_the_kiosk_lends_a_restricted_item_only_inside_its_groups(member_of: list[str]) -> None:
    person = Person("ada", "Ada", groups=frozenset(member_of))
    inside = outside_groups(POLICY.groups["camera"], member_of) is None
    verdict = judge(CAMERA, person, Cart(), T0, POLICY)
    if inside:
        assert verdict.action is Action.CHECKOUT
    else:
        assert verdict.action is Action.REFUSED
        assert verdict.reason is DenialReason.NOT_IN_GROUP
        assert verdict.text == "Only for Film 101 or Photo Club: you are not in it"
    # a category without groups is lent whatever groups they are in
    assert judge(LENS, person, Cart(), T0, POLICY).action is Action.CHECKOUT


def test_a_return_is_taken_from_someone_outside_the_groups() -> None:
    person = Person("ada", "Ada")
    held = Item("CAM-1", "Canon C70", "camera", holder="ada")
    assert judge(held, person, Cart(), T0, POLICY).action is Action.RETURN


@given(group_sets)
def test_the_training_is_asked_for_before_the_groups(member_of: list[str]) -> None:
    assume(outside_groups(POLICY.groups["camera"], member_of) is not None)
    policy = POLICY.model_copy(update={"requires": {"camera": "cinema-1"}})
    person = Person("ada", "Ada", groups=frozenset(member_of))
    assert judge(CAMERA, person, Cart(), T0, policy).reason is DenialReason.NOT_TRAINED
    trained = Person("ada", "Ada", trainings=(("cinema-1", None),), groups=frozenset(member_of))
    assert judge(CAMERA, trained, Cart(), T0, policy).reason is DenialReason.NOT_IN_GROUP


def test_the_desk_refuses_outside_the_groups_unless_a_manager_lends_anyway() -> None:
    found = {"CAM-1": CAMERA}
    [line] = lines_for(Person("ada", "Ada"), {}, ["CAM-1"], found, {}, T0, POLICY)
    assert (line.action, line.reason) == (Action.REFUSED, DenialReason.NOT_IN_GROUP)
    assert line.overridable
    why = {"CAM-1": "visiting lecturer, agreed with the course lead"}
    [line] = lines_for(Person("ada", "Ada"), {}, ["CAM-1"], found, why, T0, POLICY)
    assert (line.action, line.override) == (Action.CHECKOUT, why["CAM-1"])
