"""Picking up a reservation at the kiosk, pure: the booker taps in and sees what they booked,
scanning it lends it until the window ends, and what someone else booked is refused with the
time it is free again."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from kiosk.screens import CartScreen, HeldItem, LineAction, ReceiptScreen, Reservation
from kiosk.session import (
    BadgeTapped,
    Booking,
    Cancel,
    Confirm,
    Effect,
    Item,
    Person,
    StartStocktake,
    Tick,
    step,
)
from rules.pickup import EARLY_PICKUP
from tests.session_steps import ADA, CAMERA, LENS, SETTINGS, T0, last_screen, records, run
from tests.session_steps import scan as scanned
from wire import DenialReason, EventType, OpeningSpec, ReplicaPolicy

ENDS = T0 + timedelta(hours=3)  # 12:30 UTC
KIT = Item("KIT-1", "C70 kit", "camera", members=(Item("BATT-1", "Battery", "battery"),))
BOOKED = (
    Reservation("CAM-1", "Camera", T0 - timedelta(minutes=10), ENDS),
    Reservation("KIT-1", "C70 kit", T0 - timedelta(minutes=10), ENDS),
)


def tap(
    reservations: tuple[Reservation, ...] = BOOKED,
    person: Person = ADA,
    loans: tuple[HeldItem, ...] = (),
) -> BadgeTapped:
    return BadgeTapped("04A1", person, loans, reservations)


def mine(item: Item, starts: datetime = T0 - timedelta(minutes=10)) -> Item:
    return replace(item, bookings=(Booking("ada", starts, ENDS),))


def cart(effects: list[Effect]) -> CartScreen:
    screen = last_screen(effects)
    assert isinstance(screen, CartScreen)
    return screen


def test_the_booker_sees_their_reservation_with_its_end() -> None:
    _, effects = run([(tap(), T0)])
    screen = cart(effects)
    assert screen.reservation == "Your reservation: Camera, C70 kit, until 12:30"
    assert [r.code for r in screen.reserved] == ["CAM-1", "KIT-1"]


def test_the_end_is_given_in_the_cages_zone_with_the_day_when_not_today() -> None:
    tz = OpeningSpec(tz="Pacific/Auckland")  # 09:30 UTC is 22:30 there; 12:30 UTC is 01:30
    settings = replace(SETTINGS, policy=ReplicaPolicy(opening=tz))
    _, effects = run([(tap(), T0)], settings)
    assert cart(effects).reservation == "Your reservation: Camera, C70 kit, until Tue 3 Mar 01:30"


def test_items_booked_with_different_ends_each_say_their_own() -> None:
    later = replace(BOOKED[1], ends=ENDS + timedelta(hours=1))
    _, effects = run([(tap((BOOKED[0], later)), T0)])
    assert cart(effects).reservation == (
        "Your reservation: Camera (until 12:30), C70 kit (until 13:30)"
    )


def test_scanning_a_reserved_item_lends_it_until_the_window_ends() -> None:
    # its category would lend it for 48 hours: the reservation says until 12:30
    state, effects = run([(tap(), T0), (scanned(mine(CAMERA)), T0)])
    screen = cart(effects)
    assert [(ln.code, ln.action, ln.due) for ln in screen.lines] == [
        ("CAM-1", LineAction.CHECKOUT, ENDS)
    ]
    assert [r.code for r in screen.reserved] == ["KIT-1"]  # still to scan
    assert screen.reservation is not None  # the whole reservation is still named
    _, effects = step(state, Confirm(), T0, SETTINGS)
    [checkout] = records(effects)
    assert (checkout.type, checkout.person, checkout.asset, checkout.due) == (
        EventType.CHECKOUT,
        "ada",
        "CAM-1",
        ENDS,
    )


def test_a_reserved_kit_goes_out_whole_until_the_window_ends() -> None:
    kit = replace(mine(KIT), members=tuple(mine(p) for p in KIT.members))
    _, effects = run([(tap(), T0), (scanned(kit), T0), (Confirm(), T0)])
    assert [(r.asset, r.due) for r in records(effects)] == [("KIT-1", ENDS), ("BATT-1", ENDS)]


def test_once_all_is_scanned_nothing_is_left_to_scan() -> None:
    kit = replace(mine(KIT), members=tuple(mine(p) for p in KIT.members))
    _, effects = run([(tap(), T0), (scanned(mine(CAMERA)), T0), (scanned(kit), T0)])
    assert cart(effects).reserved == ()


def test_items_not_in_the_reservation_follow_the_normal_rules() -> None:
    _, effects = run([(tap(), T0), (scanned(LENS), T0)])
    [line] = cart(effects).lines
    assert (line.action, line.due) == (LineAction.CHECKOUT, T0 + timedelta(hours=24))
    assert [r.code for r in cart(effects).reserved] == ["CAM-1", "KIT-1"]


def test_a_reservation_is_offered_from_the_early_pickup_span_before_it_starts() -> None:
    soon = Reservation("CAM-1", "Camera", T0 + EARLY_PICKUP, ENDS + EARLY_PICKUP)
    _, effects = run([(tap((soon,)), T0)])
    assert [r.code for r in cart(effects).reserved] == ["CAM-1"]
    later = replace(soon, starts=soon.starts + timedelta(minutes=1))
    _, effects = run([(tap((later,)), T0)])
    screen = cart(effects)
    assert screen.reserved == () and screen.reservation is None


def test_a_reservation_that_has_ended_is_not_offered() -> None:
    over = Reservation("CAM-1", "Camera", T0 - timedelta(hours=3), T0)
    _, effects = run([(tap((over,)), T0)])
    assert cart(effects).reservation is None


def test_what_the_booker_holds_already_is_not_offered_again() -> None:
    held = HeldItem("CAM-1", "Camera", ENDS)
    _, effects = run([(tap(loans=(held,)), T0)])
    assert [r.code for r in cart(effects).reserved] == ["KIT-1"]


def test_of_two_bookings_of_one_item_the_first_is_picked_up() -> None:
    first = Reservation("CAM-1", "Camera", T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    second = Reservation("CAM-1", "Camera", first.ends, first.ends + timedelta(hours=2))
    state, effects = run([(tap((second, first)), T0), (scanned(mine(CAMERA)), T0)])
    assert [r.ends for r in state.reserved] == [first.ends]
    assert cart(effects).lines[0].due == first.ends


def test_a_booker_who_may_not_borrow_sees_the_reservation_but_cannot_take_it() -> None:
    banned = replace(ADA, blocked_until=T0 + timedelta(days=3))
    _, effects = run([(tap(person=banned), T0), (scanned(mine(CAMERA)), T0)])
    [line] = cart(effects).lines
    assert line.action is LineAction.REFUSED
    assert [r.reason for r in records(effects)] == [DenialReason.BLOCKED]


def test_an_item_someone_else_booked_is_refused_with_when_it_is_free_again() -> None:
    theirs = replace(CAMERA, bookings=(Booking("grace", T0 + timedelta(hours=1), ENDS),))
    state, effects = run([(tap(()), T0), (scanned(theirs), T0)])
    [line] = cart(effects).lines
    assert line.action is LineAction.REFUSED
    assert line.reason == "Reserved by someone else: free again at 12:30"
    [denied] = records(effects)
    assert (denied.reason, denied.asset) == (DenialReason.BOOKED_BY_OTHER, "CAM-1")
    _, effects = step(state, Confirm(), T0, SETTINGS)
    assert records(effects) == []  # nothing is lent


def test_free_again_is_after_back_to_back_bookings_and_in_the_cages_zone() -> None:
    run_of = (
        Booking("grace", T0 - timedelta(hours=1), T0 + timedelta(hours=2)),
        Booking("bo", T0 + timedelta(hours=2), T0 + timedelta(hours=5)),  # 14:30 UTC
        Booking("bo", T0 + timedelta(days=2), T0 + timedelta(days=3)),  # after a gap
    )
    theirs = replace(CAMERA, bookings=run_of)
    new_york = replace(SETTINGS, policy=ReplicaPolicy(opening=OpeningSpec(tz="America/New_York")))
    _, effects = run([(tap(()), T0), (scanned(theirs), T0)], new_york)
    assert cart(effects).lines[0].reason == "Reserved by someone else: free again at 09:30"


def test_the_booker_is_not_refused_for_their_own_booking_beside_someone_elses() -> None:
    both = (
        Booking("grace", T0 - timedelta(hours=2), T0 - timedelta(minutes=10)),
        Booking("ada", T0 - timedelta(minutes=10), ENDS),
    )
    _, effects = run([(tap(), T0), (scanned(replace(CAMERA, bookings=both)), T0)])
    [line] = cart(effects).lines
    assert (line.action, line.due) == (LineAction.CHECKOUT, ENDS)


def test_someone_elses_booking_before_the_bookers_window_keeps_it_in_until_then() -> None:
    # Ada may come up to two hours early, but not while Grace still has it booked
    early = Reservation("CAM-1", "Camera", T0 + timedelta(hours=1), ENDS)
    both = (
        Booking("grace", T0 - timedelta(hours=1), T0 + timedelta(hours=1)),
        Booking("ada", early.starts, ENDS),
    )
    _, effects = run([(tap((early,)), T0), (scanned(replace(CAMERA, bookings=both)), T0)])
    [line] = cart(effects).lines
    assert line.reason == "Reserved by someone else: free again at 10:30"


def test_the_reservation_ends_with_the_session() -> None:
    state, _ = run([(tap(), T0), (Cancel(), T0)])
    assert state.reserved == ()
    grace = Person("grace", "Grace Hopper")
    later = T0 + timedelta(minutes=5)
    state, effects = run([(tap(), T0), (Tick(), later), (tap((), grace), later)])
    assert state.reserved == () and cart(effects).reservation is None


def test_the_receipt_lists_what_was_picked_up() -> None:
    _, effects = run([(tap(), T0), (scanned(mine(CAMERA)), T0), (Confirm(), T0)])
    receipt = last_screen(effects)
    assert isinstance(receipt, ReceiptScreen)
    assert [(ln.code, ln.due) for ln in receipt.lines] == [("CAM-1", ENDS)]


def test_staff_counting_the_shelf_are_not_asked_for_their_reservation() -> None:
    sam = Person("sam", "Sam Staff", staff=True)
    state, effects = run([(tap(person=sam), T0), (StartStocktake(), T0)])
    screen = cart(effects)
    assert screen.reserved == () and screen.reservation is None
    assert state.reserved  # the reservation is back once the count is done
