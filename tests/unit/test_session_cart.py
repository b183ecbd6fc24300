"""The session, pure: a cart that is hard to get wrong, kept from other badges and timed out."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import cast

from kiosk.screens import CartScreen, IdleScreen, ReceiptScreen
from kiosk.session import (
    BadgeTapped,
    Cancel,
    Feedback,
    Person,
    Signal,
    StartStocktake,
    StillHere,
    Tick,
    step,
)
from tests.session_steps import ADA, CAMERA, SETTINGS, T0, last_screen, records, run, scan
from wire import DenialReason, EventType


def test_inactivity_discards_the_cart_without_recording() -> None:
    state, _ = run([(BadgeTapped("04A1", ADA), T0), (scan(CAMERA), T0)])
    state, effects = step(state, Tick(), T0 + timedelta(seconds=59), SETTINGS)
    assert state.mode.value == "cart"
    state, effects = step(state, Tick(), T0 + timedelta(seconds=60), SETTINGS)
    assert state.mode.value == "idle" and records(effects) == []


def test_tapping_the_badge_again_confirms() -> None:
    _, effects = run(
        [(BadgeTapped("04A1", ADA), T0), (scan(CAMERA), T0), (BadgeTapped("04A1", ADA), T0)]
    )
    assert isinstance(last_screen(effects), ReceiptScreen)


def test_another_badge_cannot_wipe_an_unconfirmed_cart() -> None:
    grace = Person("grace", "Grace Hopper")
    state, effects = run(
        [(BadgeTapped("04A1", ADA), T0), (scan(CAMERA), T0), (BadgeTapped("0411", grace), T0)]
    )
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.person_name == "Ada Lovelace"
    assert [ln.code for ln in cart.lines] == ["CAM-1"]
    assert cart.message == "Items waiting for Ada Lovelace: tap that badge to confirm, or Cancel"
    assert effects[-2] == Feedback(Signal.ERROR)
    # once Ada cancels (or confirms), Grace's tap starts her own session
    state, _ = step(state, Cancel(), T0, SETTINGS)
    state, effects = step(state, BadgeTapped("0411", grace), T0, SETTINGS)
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.person_name == "Grace Hopper" and not cart.lines


def test_an_unknown_card_cannot_wipe_an_unconfirmed_cart_either() -> None:
    state, effects = run(
        [(BadgeTapped("04A1", ADA), T0), (scan(CAMERA), T0), (BadgeTapped("DEADBEEF", None), T0)]
    )
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and [ln.code for ln in cart.lines] == ["CAM-1"]
    [denied] = [r for r in records(effects) if r.type is EventType.DENIED]
    assert (denied.badge, denied.reason) == ("DEADBEEF", DenialReason.UNKNOWN_BADGE)
    state, effects = step(state, BadgeTapped("04A1", ADA), T0, SETTINGS)  # Ada confirms
    assert [(r.type, r.asset) for r in records(effects)] == [(EventType.CHECKOUT, "CAM-1")]


def test_a_count_already_recorded_does_not_hold_the_kiosk() -> None:
    staff = Person("sam", "Sam Staff", staff=True)
    grace = Person("grace", "Grace Hopper")
    state, _ = run([(BadgeTapped("0A0B", staff), T0), (StartStocktake(), T0), (scan(CAMERA), T0)])
    _, effects = step(state, BadgeTapped("0411", grace), T0, SETTINGS)
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.person_name == "Grace Hopper"


def test_another_badge_takes_over_a_cart_with_nothing_to_lose() -> None:
    grace = Person("grace", "Grace Hopper")
    _state, effects = run([(BadgeTapped("04A1", ADA), T0), (BadgeTapped("0411", grace), T0)])
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.person_name == "Grace Hopper"


def test_retapping_confirms_though_the_replica_updated_the_person_meanwhile() -> None:
    state, _ = run([(BadgeTapped("04A1", ADA), T0), (scan(CAMERA), T0)])
    updated = replace(ADA, notices=("Your lens is due tomorrow",), strikes=1)
    state, effects = step(state, BadgeTapped("04A1", updated), T0, SETTINGS)
    assert [(r.type, r.asset) for r in records(effects)] == [(EventType.CHECKOUT, "CAM-1")]
    assert isinstance(last_screen(effects), ReceiptScreen)


def test_confirm_is_offered_only_when_there_is_something_to_confirm() -> None:
    state, effects = run([(BadgeTapped("04A1", ADA), T0)])
    welcome = last_screen(effects)
    assert isinstance(welcome, CartScreen) and not welcome.confirmable
    state, effects = step(state, scan(None, "GHOST-1"), T0, SETTINGS)
    refused_only = last_screen(effects)
    assert isinstance(refused_only, CartScreen) and not refused_only.confirmable
    _, effects = step(state, scan(CAMERA), T0, SETTINGS)
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.confirmable


def test_still_there_counts_down_and_any_touch_keeps_the_session() -> None:
    state, _ = run([(BadgeTapped("04A1", ADA), T0), (scan(CAMERA), T0)])
    state, effects = step(state, Tick(), T0 + timedelta(seconds=44), SETTINGS)
    assert effects == []  # nothing to say yet
    state, effects = step(state, Tick(), T0 + timedelta(seconds=45, milliseconds=500), SETTINGS)
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.countdown == 15
    state, effects = step(state, Tick(), T0 + timedelta(seconds=50), SETTINGS)
    assert cast(CartScreen, last_screen(effects)).countdown == 10
    # a touch anywhere: the cart stays, with the whole minute again
    later = T0 + timedelta(seconds=50)
    state, effects = step(state, StillHere(), later, SETTINGS)
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.countdown is None
    assert [ln.code for ln in cart.lines] == ["CAM-1"]
    state, _ = step(state, Tick(), later + timedelta(seconds=59), SETTINGS)
    assert state.mode.value == "cart"
    state, effects = step(state, Tick(), later + timedelta(seconds=60), SETTINGS)
    assert isinstance(last_screen(effects), IdleScreen) and records(effects) == []
