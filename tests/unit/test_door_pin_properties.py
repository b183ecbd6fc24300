"""The door PIN's promises under any sequence of taps, keys and time (hypothesis).

Kept apart from test_door_pin.py, which also runs in the Pi-style venv without hypothesis.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from kiosk.pin_lockout import PinLockouts
from kiosk.screens import PinScreen
from kiosk.session import (
    BACKSPACE,
    BadgeTapped,
    Cancel,
    DoorSettings,
    Input,
    Person,
    PinEnter,
    PinKey,
    Profile,
    Record,
    Settings,
    Show,
    State,
    StillHere,
    Tick,
    Unlock,
    UnlockDoor,
    step,
)
from tests.session_steps import ADA, CAMERA, T0, scan
from tests.unit.test_door_pin import PIN, SAM
from wire import DenialReason, EventType
from wire.pins import hash_pin

KIM = Person("kim", "Kim Staff", staff=True, pin=hash_pin("1111", log2_n=4))
NO_PIN = Person("lee", "Lee Staff", staff=True)
PINS = {"sam": PIN, "kim": "1111"}
DOOR = DoorSettings(attempts=3, lockout=timedelta(seconds=120), timeout=timedelta(seconds=30))
BADGES = st.sampled_from(
    [
        BadgeTapped("0A0B0C0D", SAM),
        BadgeTapped("0A0B0C0E", SAM),  # Sam's second badge: counted apart
        BadgeTapped("0E0E0E0E", KIM),
        BadgeTapped("0F0F0F0F", NO_PIN),
        BadgeTapped("04A1", ADA),
        BadgeTapped("DEAD", None),
    ]
)
KEYS = st.sampled_from([*"0123456789", BACKSPACE]).map(PinKey)
# typing the right PIN, a wrong one, or a near miss, whole (what was typed before, deleted)
TYPED = st.sampled_from([PIN, "1111", "2469", "0000", "246", "24680000"]).map(
    lambda pin: [*[PinKey(BACKSPACE)] * 8, *(PinKey(d) for d in pin), PinEnter()]
)
# a staff badge and Open door (at a station the badge alone opens the pad)
OPEN = st.sampled_from(
    [BadgeTapped("0A0B0C0D", SAM), BadgeTapped("0A0B0C0E", SAM), BadgeTapped("0E0E0E0E", KIM)]
).map(lambda b: [b, UnlockDoor()])
# someone at the pad trying PIN after PIN
BURST = st.tuples(OPEN, st.lists(TYPED, min_size=1, max_size=6)).map(
    lambda t: [*t[0], *(i for typed in t[1] for i in typed)]
)
SINGLE: st.SearchStrategy[list[Input]] = st.one_of(
    OPEN,
    BURST,
    TYPED,
    TYPED,
    BADGES.map(lambda b: [b]),
    KEYS.map(lambda k: [k]),
    st.sampled_from([PinEnter(), Cancel(), Tick(), StillHere(), UnlockDoor(), scan(CAMERA)]).map(
        lambda i: [i]
    ),
)
# mostly a person at the kiosk, now and then a pause past the pad's timeout or the lockout
PAUSES = st.sampled_from([0, 0, 1, 2, 3, 5, 8, 25, 45, 119, 121, 150])
STEPS = st.lists(st.tuples(SINGLE, PAUSES), min_size=4, max_size=40)


@settings(max_examples=150, deadline=None)
@given(STEPS, st.sampled_from([Profile.CAGE, Profile.STATION]))
def test_the_door_opens_only_for_the_right_pin_and_guesses_are_bounded(
    steps: list[tuple[list[Input], int]], profile: Profile
) -> None:
    """The door opens only on Unlock with the owner's PIN typed, on a badge not locked out;
    no badge gets more than ``attempts`` PINs checked wrong in any ``lockout``-long window
    (unless its owner's right PIN came between);
    each lockout is reported once, when it starts."""
    cfg = Settings(kiosk_name="Door", profile=profile, door=DOOR)
    state, now = State(), T0
    wrong: dict[str, list[datetime]] = {}
    for inputs, seconds in steps:
        now += timedelta(seconds=seconds)
        for inp in inputs:
            before = state
            state, effects = step(state, inp, now, cfg)
            opened = any(isinstance(e, Unlock) for e in effects)
            lockouts = [
                e for e in effects if isinstance(e, Record) and e.reason is DenialReason.PIN_LOCKOUT
            ]
            entry = before.pin
            if opened:
                event("the door opened")
                assert isinstance(inp, PinEnter) and entry is not None
                assert entry.typed == PINS[entry.person.id]
                assert before.lockouts.locked_until(entry.badge, now) is None
                assert [e.type for e in effects if isinstance(e, Record)] == [
                    EventType.DOOR_UNLOCKED
                ]
                wrong[entry.badge] = []  # the owner's right PIN ends a run of wrong ones
            checked_wrong = (
                isinstance(inp, PinEnter)
                and entry is not None
                and len(entry.typed) >= 4
                and entry.typed != PINS[entry.person.id]
            )
            if checked_wrong:
                assert entry is not None
                times = [t for t in wrong.get(entry.badge, []) if now - t < DOOR.lockout]
                wrong[entry.badge] = [*times, now]
                assert len(wrong[entry.badge]) <= DOOR.attempts
                if lockouts:
                    event("a badge was locked out")
                    assert state.lockouts.locked_until(entry.badge, now) == now + DOOR.lockout
            else:
                assert not lockouts
            assert len(lockouts) <= 1
            if isinstance(inp, BadgeTapped) and state.pin is not None:
                # the pad opens only for a staff badge with a PIN, not locked out
                assert inp.person is not None and inp.person.pin is not None
                assert before.lockouts.locked_until(inp.uid, now) is None
            shown = [e.screen for e in effects if isinstance(e, Show)]
            assert all(isinstance(s, PinScreen) == (state.pin is not None) for s in shown[-1:])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["wrong", "right"]),
            st.sampled_from(["A", "B"]),
            st.integers(min_value=0, max_value=400),
        ),
        max_size=60,
    ),
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=300),
)
def test_lockouts_follow_the_count_with_an_injected_clock(
    events: list[tuple[str, str, int]], attempts: int, lockout_s: int
) -> None:
    """A badge is locked out exactly when its ``attempts``-th wrong PIN in a row comes (each
    within ``lockout`` of the one before, no right one between), for ``lockout``; other badges
    are never affected; and only badges with something to remember are kept."""
    lockout = timedelta(seconds=lockout_s)
    guard, now = PinLockouts(), T0
    run: dict[str, list[datetime]] = {"A": [], "B": []}
    ends: dict[str, datetime] = {}
    for kind, badge, seconds in events:
        now += timedelta(seconds=seconds)
        other = "B" if badge == "A" else "A"
        other_before = guard.locked_until(other, now)
        if ends.get(badge) and now < ends[badge]:
            assert guard.locked_until(badge, now) == ends[badge]
            continue  # the kiosk asks for no PIN while locked out
        assert guard.locked_until(badge, now) is None
        if kind == "right":
            guard, run[badge] = guard.right(badge), []
        else:
            if run[badge] and now - run[badge][-1] >= lockout:
                run[badge] = []
            run[badge].append(now)
            guard, until = guard.wrong(badge, now, attempts, lockout)
            if len(run[badge]) == attempts:
                assert until == now + lockout
                ends[badge], run[badge] = until, []
            else:
                assert until is None
                assert guard.wrong_in_a_row(badge, now, lockout) == len(run[badge])
        assert guard.locked_until(other, now) == other_before
        tidy = guard.tidy(now, lockout)
        for b in ("A", "B"):
            assert tidy.locked_until(b, now) == guard.locked_until(b, now)
            assert tidy.wrong_in_a_row(b, now, lockout) == guard.wrong_in_a_row(b, now, lockout)
        guard = tidy
    assert len(guard.tidy(now + lockout, lockout).badges) == 0


def test_the_property_model_knows_every_pin() -> None:
    assert replace(SAM).pin is not None and set(PINS) == {"sam", "kim"}
