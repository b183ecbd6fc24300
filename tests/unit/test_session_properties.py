"""The session's promises under any sequence of touches, scans and device news (hypothesis).

Kept apart from the other test_session_*.py, which also run in the Pi-style venv without hypothesis.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import hypothesis
from hypothesis import given
from hypothesis import strategies as st

from kiosk.screens import CartScreen, CodeEntryScreen, LineAction
from kiosk.session import (
    BACKSPACE,
    BadgeTapped,
    Cancel,
    Confirm,
    Device,
    DeviceTrouble,
    Input,
    Person,
    RemoveItem,
    ReplicaState,
    SetCondition,
    Show,
    StartStocktake,
    StartTyping,
    State,
    StillHere,
    Tick,
    TypeKey,
    step,
)
from tests.session_steps import ADA, BODY, CAMERA, LENS, SETTINGS, T0, records, scan
from wire import EventType, ReturnCondition

_PEOPLE = st.sampled_from([ADA, Person("sam", "Sam Staff", staff=True), None])
_ITEMS = st.sampled_from([CAMERA, LENS, replace(LENS, holder="ada"), BODY, None])
_INPUTS: st.SearchStrategy[Input] = st.one_of(
    st.builds(BadgeTapped, st.just("04A1"), _PEOPLE),
    _ITEMS.map(lambda item: scan(item, None if item else "GHOST-1")),
    st.sampled_from(
        [
            Confirm(),
            Cancel(),
            Tick(),
            StillHere(),
            StartStocktake(),
            StartTyping(),
            TypeKey("A"),
            TypeKey(BACKSPACE),
            RemoveItem("CAM-1"),
            SetCondition("LENS-1", ReturnCondition.DAMAGED),
            ReplicaState(False),
            ReplicaState(True),
            DeviceTrouble(Device.CAMERA, "gone"),
            DeviceTrouble(Device.CAMERA, None),
        ]
    ),
)


@hypothesis.settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_INPUTS, st.integers(0, 40)), max_size=30))
def test_whatever_is_touched_the_screens_stay_honest(steps: list[tuple[Input, int]]) -> None:
    """No refusal is recorded while starting up; a countdown shows only in the last 15 s of
    an open session; Confirm is offered only with something to confirm; a count never loses
    the cart."""
    state, now = State(), T0
    for inp, seconds in steps:
        now += timedelta(seconds=seconds)
        before = state
        state, effects = step(state, inp, now, SETTINGS)
        if not before.ready and not state.ready:
            assert not [r for r in records(effects) if r.type is EventType.DENIED]
        shown = [e.screen for e in effects if isinstance(e, Show)]
        for screen in shown:
            if isinstance(screen, CartScreen | CodeEntryScreen) and screen.countdown is not None:
                assert 1 <= screen.countdown <= 15
            if isinstance(screen, CartScreen) and not screen.stocktake:
                assert screen.confirmable == any(
                    ln.action in (LineAction.CHECKOUT, LineAction.RETURN) for ln in screen.lines
                )
        if isinstance(inp, StartStocktake) and state.stocktake and not before.stocktake:
            assert state.stash == before.lines
