"""The session, pure: who may borrow what, for how long (overdue items, limits, bookings,
trainings, bans, extensions, opening hours)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from kiosk.screens import CartScreen, HeldItem, LineAction, ReceiptScreen
from kiosk.session import (
    BadgeTapped,
    Booking,
    Confirm,
    ExtendLoan,
    Feedback,
    Item,
    Person,
    Settings,
    Signal,
    step,
)
from tests.session_steps import ADA, CAMERA, LENS, SETTINGS, T0, last_screen, records, run, scan
from wire import DenialReason, EventType, LoanPeriodSpec, OpeningSpec, ReplicaPolicy


def test_overdue_items_block_new_checkouts_but_not_returns() -> None:
    strict = Settings(kiosk_name="Cage", policy=ReplicaPolicy(block_when_overdue=True))
    late = (HeldItem("CAM-1", "Camera", T0 - timedelta(hours=2)),)
    held = Item("CAM-1", "Camera", "camera", holder="ada")
    _, effects = run(
        [(BadgeTapped("04A1", ADA, late), T0), (scan(LENS), T0), (scan(held), T0)], settings=strict
    )
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen)
    assert [(ln.code, ln.action, ln.reason) for ln in cart.lines] == [
        ("LENS-1", LineAction.REFUSED, "Bring back your overdue items first"),
        ("CAM-1", LineAction.RETURN, None),
    ]
    assert [r.reason for r in records(effects)] == [DenialReason.OVERDUE_ITEMS]


def test_item_limit_counts_what_is_held_and_what_comes_back() -> None:
    capped = Settings(kiosk_name="Cage", policy=ReplicaPolicy(max_items=2))
    out = (HeldItem("CAM-1", "Camera", T0 + timedelta(hours=2)),)
    held = Item("CAM-1", "Camera", "camera", holder="ada")
    other = Item("CAM-2", "Camera 2", "camera")
    third = Item("CAM-3", "Camera 3", "camera")
    _, effects = run(
        [(BadgeTapped("04A1", ADA, out), T0), (scan(LENS), T0), (scan(other), T0)], settings=capped
    )
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen)
    assert [ln.reason for ln in cart.lines] == [None, "Limit of 2 items reached"]
    # bringing the camera back makes room
    _, effects = run(
        [
            (BadgeTapped("04A1", ADA, out), T0),
            (scan(held), T0),
            (scan(LENS), T0),
            (scan(third), T0),
        ],
        settings=capped,
    )
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen)
    assert [ln.action for ln in cart.lines] == [
        LineAction.RETURN,
        LineAction.CHECKOUT,
        LineAction.CHECKOUT,
    ]


def test_a_loan_can_be_extended_once_before_it_is_due() -> None:
    policy = ReplicaPolicy(loans={"camera": LoanPeriodSpec(amount=48)}, max_renewals=1)
    settings = Settings(kiosk_name="Cage", policy=policy)
    due = T0 + timedelta(hours=3)
    loans = (
        HeldItem("CAM-1", "Camera", due, category="camera"),
        HeldItem("AUD-1", "Recorder", T0 - timedelta(hours=1), category="audio"),
    )
    state, effects = run([(BadgeTapped("04A1", ADA, loans), T0)], settings=settings)
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen)
    assert [(ln.code, ln.extendable) for ln in cart.loans] == [("CAM-1", True), ("AUD-1", False)]
    state, effects = step(state, ExtendLoan("CAM-1"), T0, settings)
    [rec] = records(effects)
    assert (rec.type, rec.asset, rec.due) == (EventType.EXTEND, "CAM-1", due + timedelta(hours=48))
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.message == "Extended: Camera"
    assert not cart.loans[0].extendable  # the one renewal is used
    state, effects = step(state, ExtendLoan("CAM-1"), T0, settings)
    assert records(effects) == []
    assert state.message == "Camera cannot be extended: it was extended already"
    _, effects = step(state, ExtendLoan("AUD-1"), T0, settings)
    assert records(effects) == [] and Feedback(Signal.ERROR) in effects


def test_due_times_follow_the_cages_opening_hours() -> None:
    opening = OpeningSpec(
        tz="Europe/London",
        weekly={d: ("09:00", "17:00") for d in ("mon", "tue", "wed", "thu", "fri")},
    )
    policy = ReplicaPolicy(
        loans={
            "camera": LoanPeriodSpec(kind="next_opening", amount=0),
            "lens": LoanPeriodSpec(kind="days", amount=2),
        },
        opening=opening,
    )
    settings = Settings(kiosk_name="Cage", policy=policy)
    friday = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    _, effects = run(
        [
            (BadgeTapped("04A1", ADA), friday),
            (scan(CAMERA), friday),
            (scan(LENS), friday),
            (Confirm(), friday),
        ],
        settings=settings,
    )
    receipt = last_screen(effects)
    assert isinstance(receipt, ReceiptScreen)
    assert [line.due for line in receipt.lines] == [
        datetime(2026, 3, 9, 9, 0, tzinfo=UTC),  # Monday's opening (GMT)
        datetime(2026, 3, 10, 17, 0, tzinfo=UTC),  # closing time two open days later
    ]


def test_a_booked_item_goes_only_to_the_booker_inside_the_window() -> None:
    booked = Item(
        "CAM-1",
        "Camera",
        "camera",
        bookings=(Booking("grace", T0 + timedelta(hours=10), T0 + timedelta(hours=30)),),
    )
    _, effects = run([(BadgeTapped("04A1", ADA), T0), (scan(booked), T0)])
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen)
    # refused with when it is free again, in the cage's zone (UTC here), with the day: not today
    assert cart.lines[0].reason == "Reserved by someone else: free again Tue 3 Mar 15:30"
    assert [r.reason for r in records(effects)] == [DenialReason.BOOKED_BY_OTHER]
    grace = Person("grace", "Grace Hopper")
    _, effects = run([(BadgeTapped("0411", grace), T0), (scan(booked), T0)])
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.lines[0].action is LineAction.CHECKOUT
    short = Settings(
        kiosk_name="Cage", policy=ReplicaPolicy(loans={"camera": LoanPeriodSpec(amount=4)})
    )
    _, effects = run([(BadgeTapped("04A1", ADA), T0), (scan(booked), T0)], settings=short)
    cart = last_screen(effects)  # back 6 hours before the booking starts: fine
    assert isinstance(cart, CartScreen) and cart.lines[0].action is LineAction.CHECKOUT


def test_a_booking_stops_an_extension_that_would_run_into_it() -> None:
    loans = (
        HeldItem(
            "CAM-1",
            "Camera",
            T0 + timedelta(hours=3),
            category="camera",
            booked_from=T0 + timedelta(hours=20),
        ),
    )
    state, _ = run([(BadgeTapped("04A1", ADA, loans), T0)])
    state, effects = step(state, ExtendLoan("CAM-1"), T0, SETTINGS)
    assert records(effects) == []
    assert state.message == "Camera cannot be extended: someone has booked it"


def test_items_needing_a_training_go_to_trained_people_only() -> None:
    settings = Settings(kiosk_name="Cage", policy=ReplicaPolicy(requires={"camera": "cinema-1"}))
    untrained = Person("ada", "Ada")
    lapsed = Person("ada", "Ada", trainings=(("cinema-1", T0 - timedelta(days=1)),))
    current = Person("ada", "Ada", trainings=(("cinema-1", None),))
    for person, expected in (
        (untrained, "Needs the cinema-1 training"),
        (lapsed, "Needs the cinema-1 training"),
        (current, None),
    ):
        _, effects = run(
            [(BadgeTapped("04A1", person), T0), (scan(CAMERA), T0), (scan(LENS), T0)],
            settings=settings,
        )
        cart = last_screen(effects)
        assert isinstance(cart, CartScreen)
        assert [ln.reason for ln in cart.lines] == [expected, None]  # lenses need nothing


def test_a_banned_person_can_return_but_not_borrow_and_is_told_why() -> None:
    banned = replace(
        ADA,
        blocked_until=T0 + timedelta(days=3),
        blocked_reason="3 late returns in 120 days",
        strikes=3,
    )
    held = replace(LENS, holder="ada")
    loan = HeldItem("LENS-1", "Lens", T0 + timedelta(hours=5))
    state, effects = run([(BadgeTapped("04A1", banned, (loan,)), T0)])
    welcome = last_screen(effects)
    assert isinstance(welcome, CartScreen)
    assert welcome.message == "No new loans until 05 Mar: 3 late returns in 120 days"
    state, effects = run([(scan(CAMERA), T0), (scan(held), T0)], state=state)
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen)
    assert [(line.code, line.action) for line in cart.lines] == [
        ("CAM-1", LineAction.REFUSED),
        ("LENS-1", LineAction.RETURN),
    ]
    assert cart.lines[0].reason == "No new loans until 05 Mar"
    assert [r.reason for r in records(effects)] == [DenialReason.BLOCKED]
    # once the ban has ended the same person borrows again
    _state, effects = run(
        [
            (BadgeTapped("04A1", banned), T0 + timedelta(days=4)),
            (scan(CAMERA), T0 + timedelta(days=4)),
        ]
    )
    assert last_screen(effects).lines[0].action is LineAction.CHECKOUT  # type: ignore[attr-defined]


def test_strikes_are_shown_when_they_have_not_led_to_a_ban() -> None:
    _state, effects = run([(BadgeTapped("04A1", replace(ADA, strikes=2)), T0)])
    welcome = last_screen(effects)
    assert isinstance(welcome, CartScreen) and welcome.message == "2 late returns this term"


def test_a_banned_person_cannot_extend_and_an_open_ended_block_says_so() -> None:
    blocked = replace(
        ADA, blocked_until=datetime(9999, 1, 1, tzinfo=UTC), blocked_reason="see the manager"
    )
    loan = HeldItem("LENS-1", "Lens", T0 + timedelta(hours=5), category="lens")
    state, effects = run([(BadgeTapped("04A1", blocked, (loan,)), T0)])
    welcome = last_screen(effects)
    assert isinstance(welcome, CartScreen)
    assert welcome.message == "No new loans until staff lift the block: see the manager"
    state, effects = run([(ExtendLoan("LENS-1"), T0)], state=state)
    assert records(effects) == [] and "cannot be extended" in (state.message or "")
