"""The session, pure, at the counter: a badge, scans and a confirmation make a checkout."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import cast

from kiosk.screens import CartScreen, DeniedScreen, HeldItem, IdleScreen, LineAction, ReceiptScreen
from kiosk.session import (
    AcksOverdue,
    BadgeTapped,
    Cancel,
    Confirm,
    ConnectivityChanged,
    Feedback,
    Item,
    LabelScanned,
    RemoveItem,
    Settings,
    Signal,
    State,
    Tick,
    screen_for,
    step,
)
from tests.session_steps import ADA, CAMERA, LENS, SETTINGS, T0, last_screen, records, run, scan
from wire import DenialReason, EventType, OpeningSpec, ReplicaPolicy


def test_checkout_flow_records_due_times_by_category() -> None:
    state, effects = run(
        [(BadgeTapped("04A1", ADA), T0), (scan(CAMERA), T0), (scan(LENS), T0), (Confirm(), T0)]
    )
    assert state.mode.value == "receipt"
    receipt = last_screen(effects)
    assert isinstance(receipt, ReceiptScreen)
    assert [(ln.code, ln.due) for ln in receipt.lines] == [
        ("CAM-1", T0 + timedelta(hours=48)),
        ("LENS-1", T0 + timedelta(hours=24)),
    ]
    recs = records(effects)
    assert [(r.type, r.person, r.asset, r.badge) for r in recs] == [
        (EventType.CHECKOUT, "ada", "CAM-1", "04A1"),
        (EventType.CHECKOUT, "ada", "LENS-1", "04A1"),
    ]
    assert recs[0].session == recs[1].session is not None
    assert Feedback(Signal.DONE) in effects


def test_refusals_name_a_reason_and_are_recorded() -> None:
    other = Item("CAM-2", "Camera 2", "camera", holder="grace")
    retired = Item("CAM-3", "Camera 3", "camera", lendable=False)
    in_repair = Item("CAM-4", "Camera 4", "camera", lendable=False, in_maintenance=True)
    state, effects = run(
        [
            (BadgeTapped("04A1", ADA), T0),
            (scan(other), T0),
            (scan(retired), T0),
            (scan(in_repair), T0),
            (scan(None, "GHOST-1"), T0),
        ]
    )
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen)
    assert [(ln.action, ln.reason) for ln in cart.lines] == [
        (LineAction.REFUSED, "Still on someone else's loan: see staff"),
        (LineAction.REFUSED, "No longer lent out: please see staff"),
        (LineAction.REFUSED, "In for repair: please choose another"),
        (LineAction.REFUSED, "Unknown item: please hand it to staff"),
    ]
    assert [r.reason for r in records(effects)] == [
        DenialReason.HELD_BY_OTHER,
        DenialReason.NOT_LENDABLE,
        DenialReason.IN_MAINTENANCE,
        DenialReason.UNKNOWN_ITEM,
    ]
    # nothing to confirm: the cart stays, and says why
    state, effects = step(state, Confirm(), T0, SETTINGS)
    assert state.mode.value == "cart" and records(effects) == []
    assert Feedback(Signal.ERROR) in effects
    assert state.message == "Nothing here can be lent or returned: see the reasons above"


def test_a_label_shown_again_counts_once_but_still_answers() -> None:
    _, effects = run(
        [(BadgeTapped("04A1", ADA), T0), (scan(CAMERA), T0), (scan(CAMERA), T0), (scan(CAMERA), T0)]
    )
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and len(cart.lines) == 1
    assert cart.message == "Camera is already on the list"
    # every scan is answered (badge + three scans), though only one line was added
    assert effects.count(Feedback(Signal.OK)) == 4
    assert [r.type for r in records(effects)] == []


def test_unknown_badge_is_denied_then_returns_to_idle() -> None:
    state, effects = run([(BadgeTapped("DEAD", None), T0)])
    assert isinstance(last_screen(effects), DeniedScreen)
    assert [(r.type, r.reason, r.badge) for r in records(effects)] == [
        (EventType.DENIED, DenialReason.UNKNOWN_BADGE, "DEAD")
    ]
    state, effects = step(state, Tick(), T0 + SETTINGS.linger, SETTINGS)
    assert isinstance(last_screen(effects), IdleScreen)


def test_remove_and_cancel() -> None:
    state, _ = run([(BadgeTapped("04A1", ADA), T0), (scan(CAMERA), T0), (scan(LENS), T0)])
    state, effects = step(state, RemoveItem("CAM-1"), T0, SETTINGS)
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and [ln.code for ln in cart.lines] == ["LENS-1"]
    state, effects = step(state, Cancel(), T0, SETTINGS)
    assert state.mode.value == "idle" and records(effects) == []


def test_foreign_code_is_explained_and_recorded() -> None:
    bad = LabelScanned(raw="hello", code=None, item=None, error="not a Cagekeeper label: hello")
    _, effects = run([(BadgeTapped("04A1", ADA), T0), (bad, T0)])
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.message == "That code is not an equipment label"
    [rec] = records(effects)
    assert rec.reason is DenialReason.NOT_A_LABEL and rec.detail is not None


def test_scan_before_badge_asks_for_badge() -> None:
    _, effects = run([(scan(CAMERA), T0)])
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.message == "Tap your badge first"


def test_offline_flag_reaches_every_screen() -> None:
    _state, effects = run([(ConnectivityChanged(online=False), T0), (BadgeTapped("04A1", ADA), T0)])
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.offline


def test_welcome_lists_loans_and_warns_about_overdue_ones() -> None:
    loans = (
        HeldItem("AUD-1", "Recorder", T0 - timedelta(hours=1)),
        HeldItem("TRI-1", "Tripod", T0 + timedelta(hours=5)),
    )
    _, effects = run([(BadgeTapped("04A1", ADA, loans), T0)])
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen)
    assert [(loan.code, loan.overdue) for loan in cart.loans] == [("AUD-1", True), ("TRI-1", False)]
    assert cart.message == "1 overdue: please bring it back"


def test_hints_on_the_idle_screen_go_away() -> None:
    state, _ = run([(scan(CAMERA), T0)])
    state, effects = step(state, Tick(), T0 + SETTINGS.linger, SETTINGS)
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.message is None


def test_the_hubs_reminder_is_shown_on_the_welcome_screen() -> None:
    reminded = replace(ADA, notices=("Zeiss 50 (LENS-1) is due back at Mon 02 Mar 17:00.",))
    _state, effects = run([(BadgeTapped("04A1", reminded), T0)])
    welcome = last_screen(effects)
    assert isinstance(welcome, CartScreen)
    assert welcome.message == "Zeiss 50 (LENS-1) is due back at Mon 02 Mar 17:00."


NEW_YORK = Settings(
    kiosk_name="Cage",
    policy=ReplicaPolicy(opening=OpeningSpec(tz="America/New_York", weekly={})),
)


def test_screens_and_sentences_use_the_cages_zone_not_utc() -> None:
    # 02:00 UTC on the 5th is still the 4th in New York
    banned = replace(ADA, blocked_until=datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    _, effects = run([(BadgeTapped("04A1", banned), T0)], settings=NEW_YORK)
    welcome = last_screen(effects)
    assert isinstance(welcome, CartScreen) and welcome.tz == "America/New_York"
    assert welcome.message == "No new loans until 04 Mar"
    _, effects = step(State(), AcksOverdue(1, T0), T0, NEW_YORK)
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.tz == "America/New_York"
    assert idle.staff_note == "Staff: 1 record not yet confirmed by the hub since 04:30"
    assert cast(IdleScreen, screen_for(State(), SETTINGS, T0)).tz == "UTC"  # no hours set
