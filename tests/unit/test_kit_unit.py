"""Kits as one unit at the kiosk: one due time for the whole kit, lent whole or not at all with
the piece that keeps it in named, and only the pieces still out coming back with it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kiosk.screens import CartScreen, HeldItem, LineAction
from kiosk.session import (
    BadgeTapped,
    Booking,
    Confirm,
    Effect,
    ExtendLoan,
    Input,
    Item,
    LabelScanned,
    Person,
    Profile,
    Record,
    Settings,
    Show,
    State,
    step,
)
from rules.kits import kit_due
from rules.policy import due_for
from wire import DenialReason, EventType, LoanPeriodSpec, ReplicaPolicy

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday
ADA = Person("ada", "Ada Lovelace")
POLICY = ReplicaPolicy(
    loans={
        "camera": LoanPeriodSpec(amount=48),  # body: Wednesday
        "lens": LoanPeriodSpec(amount=24),  # lens: Tuesday
        "battery": LoanPeriodSpec(amount=72),  # battery: Thursday
    }
)
SETTINGS = Settings(kiosk_name="Film cage", policy=POLICY)
LENS = Item("LENS-9", "50mm lens", "lens")
BATTERY = Item("BATT-9", "Battery", "battery")
KIT = Item("KIT-1", "C70 kit", "camera", members=(LENS, BATTERY))


def _run(inputs: list[Input], settings: Settings = SETTINGS) -> tuple[State, list[Effect]]:
    state, effects = State(), []
    for event in inputs:
        state, out = step(state, event, T0, settings)
        effects += out
    return state, effects


def _scan(item: Item) -> LabelScanned:
    return LabelScanned(f"CK1:{item.code}", item.code, item)


def _records(effects: list[Effect]) -> list[Record]:
    return [e for e in effects if isinstance(e, Record)]


def _cart(effects: list[Effect]) -> CartScreen:
    screen = [e for e in effects if isinstance(e, Show)][-1].screen
    assert isinstance(screen, CartScreen)
    return screen


def test_the_whole_kit_is_due_when_its_shortest_lent_piece_would_be() -> None:
    _state, effects = _run([BadgeTapped("04A1", ADA), _scan(KIT), Confirm()])
    checkouts = [r for r in _records(effects) if r.type is EventType.CHECKOUT]
    assert [r.asset for r in checkouts] == ["KIT-1", "LENS-9", "BATT-9"]
    # not body Wednesday, lens Tuesday, battery Thursday: all of it Tuesday
    assert {r.due for r in checkouts} == {T0 + timedelta(hours=24)}


def test_a_kit_with_a_piece_out_is_not_lent_at_all_and_the_piece_is_named() -> None:
    out = replace(KIT, members=(LENS, replace(BATTERY, holder="bo")))
    state, effects = _run([BadgeTapped("04A1", ADA), _scan(out)])
    cart = _cart(effects)
    assert [(ln.code, ln.action) for ln in cart.lines] == [("KIT-1", LineAction.REFUSED)]
    assert cart.lines[0].name == "C70 kit"
    assert cart.lines[0].reason == (
        "Battery (BATT-9) cannot go: still on someone else's loan: see staff"
    )
    [denied] = _records(effects)
    assert denied.type is EventType.DENIED and denied.reason is DenialReason.HELD_BY_OTHER
    assert denied.asset == "KIT-1" and denied.detail == (
        "kit KIT-1 held back by BATT-9: Still on someone else's loan: see staff"
    )
    _state, confirmed = step(state, Confirm(), T0, SETTINGS)
    assert not [r for r in _records(confirmed) if r.type is EventType.CHECKOUT]  # nothing lent


def test_a_piece_needing_a_training_keeps_the_kit_in_for_the_untrained() -> None:
    settings = replace(SETTINGS, policy=POLICY.model_copy(update={"requires": {"lens": "optics"}}))
    _state, effects = _run([BadgeTapped("04A1", ADA), _scan(KIT)], settings)
    [line] = _cart(effects).lines
    assert line.action is LineAction.REFUSED and line.reason is not None
    assert "50mm lens (LENS-9) cannot go: needs the optics training" in line.reason
    assert _records(effects)[0].reason is DenialReason.NOT_TRAINED


def test_a_booking_of_one_piece_inside_the_kit_s_loan_keeps_the_kit_in() -> None:
    booked = Booking("bo", T0 + timedelta(hours=12), T0 + timedelta(hours=14))
    kit = replace(KIT, members=(replace(LENS, bookings=(booked,)), BATTERY))
    _state, effects = _run([BadgeTapped("04A1", ADA), _scan(kit)])
    [line] = _cart(effects).lines
    assert (
        line.reason is not None
        and "50mm lens (LENS-9) cannot go: reserved by someone else: free again at 23:30"
        in line.reason
    )


def test_a_booking_after_the_kit_is_due_back_does_not_block_it() -> None:
    # the battery alone would be out until Thursday; with the kit it is back on Tuesday
    booked = Booking("bo", T0 + timedelta(hours=30), T0 + timedelta(hours=32))
    kit = replace(KIT, members=(LENS, replace(BATTERY, bookings=(booked,))))
    _state, effects = _run([BadgeTapped("04A1", ADA), _scan(kit), Confirm()])
    assert [r.asset for r in _records(effects)] == ["KIT-1", "LENS-9", "BATT-9"]


def test_the_item_limit_counts_the_pieces_and_refuses_the_kit_whole() -> None:
    settings = replace(SETTINGS, policy=POLICY.model_copy(update={"max_items": 2}))
    _state, effects = _run([BadgeTapped("04A1", ADA), _scan(KIT)], settings)
    [line] = _cart(effects).lines
    assert (
        line.reason is not None
        and "Battery (BATT-9) cannot go: limit of 2 items reached" in line.reason
    )


def test_a_piece_scanned_before_its_kit_joins_the_kit() -> None:
    _state, effects = _run([BadgeTapped("04A1", ADA), _scan(BATTERY), _scan(KIT), Confirm()])
    checkouts = [r for r in _records(effects) if r.type is EventType.CHECKOUT]
    assert sorted(r.asset or "" for r in checkouts) == ["BATT-9", "KIT-1", "LENS-9"]
    assert {r.due for r in checkouts} == {T0 + timedelta(hours=24)}


def test_only_the_pieces_still_out_come_back_with_the_kit() -> None:
    # the battery came back on its own before: returning the kit does not lend it anew
    held = replace(KIT, holder="ada", members=(replace(LENS, holder="ada"), BATTERY))
    _state, effects = _run([BadgeTapped("04A1", ADA), _scan(held), Confirm()])
    assert [(r.type, r.asset) for r in _records(effects)] == [
        (EventType.RETURN, "KIT-1"),
        (EventType.RETURN, "LENS-9"),
    ]


_categories = st.lists(st.sampled_from(["camera", "lens", "battery", "other"]), min_size=1)


@given(_categories)
def test_the_kit_s_due_time_is_never_later_than_any_piece_s_own(categories: list[str]) -> None:
    due = kit_due(POLICY, categories, T0)
    assert due in {due_for(POLICY, c, T0) for c in categories}
    assert all(due <= due_for(POLICY, c, T0) for c in categories)


def _loans(*loans: HeldItem) -> BadgeTapped:
    return BadgeTapped("04A1", ADA, loans)


def test_extending_a_kit_renews_it_whole_with_one_due_time() -> None:
    due = T0 + timedelta(hours=20)
    held = _loans(
        HeldItem("KIT-1", "C70 kit", due, category="camera", kit="KIT-1"),
        HeldItem("LENS-9", "50mm lens", due, category="lens", kit="KIT-1"),
        HeldItem("BATT-9", "Battery", due, category="battery", kit="KIT-1"),
        HeldItem("MIC-1", "Microphone", due, category="lens"),  # loose: not touched
    )
    state, effects = _run([held, ExtendLoan("LENS-9")])
    extended = [r for r in _records(effects) if r.type is EventType.EXTEND]
    assert sorted(r.asset or "" for r in extended) == ["BATT-9", "KIT-1", "LENS-9"]
    assert {r.due for r in extended} == {due + timedelta(hours=24)}  # the lens's period
    assert state.message == "Extended: C70 kit"
    assert {ln.code: ln.renewals for ln in state.loans} == {
        "KIT-1": 1,
        "LENS-9": 1,
        "BATT-9": 1,
        "MIC-1": 0,
    }


def test_a_kit_with_one_piece_booked_after_it_is_not_extended_at_all() -> None:
    due = T0 + timedelta(hours=20)
    held = _loans(
        HeldItem("KIT-1", "C70 kit", due, category="camera", kit="KIT-1"),
        HeldItem(
            "BATT-9",
            "Battery",
            due,
            category="battery",
            kit="KIT-1",
            booked_from=due + timedelta(hours=2),
        ),
    )
    state, effects = _run([held, ExtendLoan("KIT-1")])
    assert not _records(effects)
    assert state.message == "C70 kit cannot be extended: someone has booked it"


def test_a_return_station_takes_back_only_the_pieces_still_out() -> None:
    station = replace(SETTINGS, profile=Profile.STATION)
    held = replace(KIT, holder="ada", members=(replace(LENS, holder="ada"), BATTERY))
    _state, effects = _run([_scan(held)], station)
    assert [r.asset for r in _records(effects)] == ["KIT-1", "LENS-9"]
