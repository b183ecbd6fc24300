"""The session state machine, pure: inputs and a time in, screens and records out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import cast

from kiosk.screens import (
    CartScreen,
    CodeEntryScreen,
    DeniedScreen,
    IdleScreen,
    LineAction,
    Loan,
    ReceiptScreen,
)
from kiosk.session import (
    BACKSPACE,
    NOT_A_CODE,
    STARTING_RETRY,
    AcksOverdue,
    BadgeTapped,
    Booking,
    Cancel,
    Confirm,
    ConnectivityChanged,
    CycleCondition,
    Device,
    DeviceTrouble,
    DoorAlarm,
    DoorSettings,
    Effect,
    ExtendLoan,
    Feedback,
    Input,
    Item,
    LabelScanned,
    Person,
    Profile,
    Record,
    RemoveItem,
    ReplicaState,
    SetCondition,
    Settings,
    Show,
    Signal,
    StartEnroll,
    StartStocktake,
    StartTyping,
    State,
    StillHere,
    Tick,
    TypeKey,
    Unlock,
    UnlockDoor,
    screen_for,
    step,
)
from wire import (
    DenialReason,
    EventType,
    LoanPeriodSpec,
    OpeningSpec,
    ReplicaPolicy,
    ReturnCondition,
)

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ADA = Person("ada", "Ada Lovelace")
CAMERA = Item("CAM-1", "Camera", "camera")
LENS = Item("LENS-1", "Lens", "lens")
SETTINGS = Settings(
    kiosk_name="Film cage", policy=ReplicaPolicy(loans={"camera": LoanPeriodSpec(amount=48)})
)


def run(
    inputs: list[tuple[Input, datetime]], settings: Settings = SETTINGS, state: State | None = None
) -> tuple[State, list[Effect]]:
    state = state or State()
    effects: list[Effect] = []
    for inp, at in inputs:
        state, out = step(state, inp, at, settings)
        effects += out
    return state, effects


def scan(item: Item | None, code: str | None = None) -> LabelScanned:
    code = code or (item.code if item else None)
    return LabelScanned(raw=f"CK1:{code}", code=code, item=item)


def last_screen(effects: list[Effect]) -> object:
    return [e for e in effects if isinstance(e, Show)][-1].screen


def records(effects: list[Effect]) -> list[Record]:
    return [e for e in effects if isinstance(e, Record)]


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


def test_item_held_by_the_same_person_is_a_return() -> None:
    held = Item("CAM-1", "Camera", "camera", holder="ada")
    _, effects = run([(BadgeTapped("04A1", ADA), T0), (scan(held), T0), (Confirm(), T0)])
    assert [(r.type, r.asset) for r in records(effects)] == [(EventType.RETURN, "CAM-1")]


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


def test_return_station_returns_on_scan_without_badge() -> None:
    station = Settings(kiosk_name="Door", profile=Profile.STATION)
    held = Item("CAM-1", "Camera", "camera", holder="ada")
    _, effects = run([(scan(held), T0)], settings=station)
    assert [(r.type, r.asset, r.person) for r in records(effects)] == [
        (EventType.RETURN, "CAM-1", "ada")
    ]
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.message == "Returned: Camera"
    assert idle.returned == "Camera"  # the whole screen says so, readable from the door
    _, effects = run([(scan(None, "GHOST-1"), T0)], settings=station)
    assert records(effects) == [] and Feedback(Signal.ERROR) in effects
    _, effects = run([(scan(CAMERA), T0)], settings=station)  # not known to be out: still taken
    assert [(r.type, r.asset, r.person) for r in records(effects)] == [
        (EventType.RETURN, "CAM-1", None)
    ]


def test_welcome_lists_loans_and_warns_about_overdue_ones() -> None:
    loans = (
        Loan("AUD-1", "Recorder", T0 - timedelta(hours=1)),
        Loan("TRI-1", "Tripod", T0 + timedelta(hours=5)),
    )
    _, effects = run([(BadgeTapped("04A1", ADA, loans), T0)])
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen)
    assert [(loan.code, loan.overdue) for loan in cart.loans] == [("AUD-1", True), ("TRI-1", False)]
    assert cart.message == "1 overdue: please bring it back"


def test_a_return_line_offers_each_condition_as_its_own_choice() -> None:
    held = Item("CAM-1", "Camera", "camera", holder="ada")
    state, _ = run([(BadgeTapped("04A1", ADA), T0), (scan(held), T0), (scan(LENS), T0)])
    for chosen in (ReturnCondition.MISSING_PART, ReturnCondition.OK, ReturnCondition.DAMAGED):
        state, effects = step(state, SetCondition("CAM-1", chosen), T0, SETTINGS)
        cart = last_screen(effects)
        assert isinstance(cart, CartScreen) and cart.lines[0].condition == chosen.value
    state, _ = step(state, SetCondition("LENS-1", ReturnCondition.DAMAGED), T0, SETTINGS)
    _, effects = step(state, Confirm(), T0, SETTINGS)  # a checkout has no condition
    assert [(r.type, r.asset, r.condition) for r in records(effects)] == [
        (EventType.RETURN, "CAM-1", ReturnCondition.DAMAGED),
        (EventType.CHECKOUT, "LENS-1", None),
    ]
    receipt = last_screen(effects)  # the receipt says what was reported
    assert isinstance(receipt, ReceiptScreen)
    assert [(ln.code, ln.condition) for ln in receipt.lines] == [
        ("CAM-1", "damaged"),
        ("LENS-1", "ok"),
    ]


def test_scripted_drivers_can_still_step_through_the_conditions() -> None:
    held = Item("CAM-1", "Camera", "camera", holder="ada")
    state, _ = run([(BadgeTapped("04A1", ADA), T0), (scan(held), T0)])
    for expected in ("damaged", "missing_part", "ok"):
        state, _ = step(state, CycleCondition("CAM-1"), T0, SETTINGS)
        assert state.lines[0].condition == expected


def test_staff_badge_at_a_return_station_unlocks_the_door() -> None:
    # without a PIN (see tests/unit/test_door_pin.py for the door with one)
    station = Settings(
        kiosk_name="Door",
        profile=Profile.STATION,
        unlock_seconds=7,
        door=DoorSettings(require_pin=False),
    )
    sam = Person("sam", "Sam Staff", staff=True)
    _, effects = run([(BadgeTapped("0A0B", sam), T0)], settings=station)
    assert Unlock(7) in effects
    assert [(r.type, r.person, r.badge) for r in records(effects)] == [
        (EventType.DOOR_UNLOCKED, "sam", "0A0B")
    ]
    _, effects = run([(BadgeTapped("04A1", ADA), T0)], settings=station)
    assert not any(isinstance(e, Unlock) for e in effects) and records(effects) == []
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.message and "No badge needed" in idle.message


def test_only_staff_can_unlock_from_a_session() -> None:
    no_pin = replace(SETTINGS, door=DoorSettings(require_pin=False))
    sam = Person("sam", "Sam Staff", staff=True)
    state, effects = run([(BadgeTapped("0A0B", sam), T0)], settings=no_pin)
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.staff
    _, effects = step(state, UnlockDoor(), T0, no_pin)
    assert Unlock(SETTINGS.unlock_seconds) in effects
    state, effects = run([(BadgeTapped("04A1", ADA), T0)], settings=no_pin)
    _, effects = step(state, UnlockDoor(), T0, no_pin)
    assert effects == []


def test_overdue_items_block_new_checkouts_but_not_returns() -> None:
    strict = Settings(kiosk_name="Cage", policy=ReplicaPolicy(block_when_overdue=True))
    late = (Loan("CAM-1", "Camera", T0 - timedelta(hours=2)),)
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
    out = (Loan("CAM-1", "Camera", T0 + timedelta(hours=2)),)
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
        Loan("CAM-1", "Camera", due, category="camera"),
        Loan("AUD-1", "Recorder", T0 - timedelta(hours=1), category="audio"),
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


def test_hints_on_the_idle_screen_go_away() -> None:
    state, _ = run([(scan(CAMERA), T0)])
    state, effects = step(state, Tick(), T0 + SETTINGS.linger, SETTINGS)
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.message is None


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
        Loan(
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


BODY = Item(
    "KIT-1",
    "C70 kit",
    "camera",
    members=(Item("LENS-9", "50mm lens", "lens"), Item("BATT-9", "Battery", "lens")),
)


def test_a_kit_goes_out_as_one_scan_with_its_pieces() -> None:
    _state, effects = run([(BadgeTapped("04A1", ADA), T0), (scan(BODY), T0), (Confirm(), T0)])
    assert [(r.type, r.asset) for r in records(effects)] == [
        (EventType.CHECKOUT, "KIT-1"),
        (EventType.CHECKOUT, "LENS-9"),
        (EventType.CHECKOUT, "BATT-9"),
    ]
    receipt = last_screen(effects)
    assert isinstance(receipt, ReceiptScreen)
    assert [(ln.code, ln.kit) for ln in receipt.lines] == [
        ("KIT-1", None),
        ("LENS-9", "KIT-1"),
        ("BATT-9", "KIT-1"),
    ]


def test_a_kit_back_with_a_piece_missing_keeps_it_on_loan_and_flags_the_kit() -> None:
    held = replace(
        BODY, holder="ada", members=tuple(replace(m, holder="ada") for m in BODY.members)
    )
    state, _ = run([(BadgeTapped("04A1", ADA), T0), (scan(held), T0)])
    state, _ = step(state, SetCondition("BATT-9", ReturnCondition.MISSING_PART), T0, SETTINGS)
    _, effects = step(state, Confirm(), T0, SETTINGS)
    assert [(r.type, r.asset, r.condition, r.detail) for r in records(effects)] == [
        (EventType.RETURN, "KIT-1", ReturnCondition.MISSING_PART, "missing: BATT-9"),
        (EventType.RETURN, "LENS-9", ReturnCondition.OK, None),
    ]
    receipt = last_screen(effects)
    assert isinstance(receipt, ReceiptScreen)
    assert receipt.lines[2].reason == "Reported missing: still on your loans"


def test_a_return_station_takes_a_kit_back_whole() -> None:
    station = Settings(kiosk_name="Door", profile=Profile.STATION)
    held = replace(
        BODY, holder="ada", members=tuple(replace(m, holder="ada") for m in BODY.members)
    )
    _, effects = run([(scan(held), T0)], settings=station)
    assert [r.asset for r in records(effects)] == ["KIT-1", "LENS-9", "BATT-9"]
    # a station that does not know the kit is out (its replica behind) takes it all back
    _, effects = run([(scan(BODY), T0)], settings=station)
    assert [r.asset for r in records(effects)] == ["KIT-1", "LENS-9", "BATT-9"]


def test_staff_enrol_a_new_badge_for_a_known_person() -> None:
    sam = Person("sam", "Sam Staff", staff=True)
    state, _ = run([(BadgeTapped("0A0B", sam), T0)])
    state, effects = step(state, StartEnroll(), T0, SETTINGS)
    assert state.message == "Enrol a badge: tap the person's current badge"
    state, _ = step(state, BadgeTapped("FFFF0001", None), T0, SETTINGS)  # not registered
    assert state.message and "not registered" in state.message
    state, _ = step(state, BadgeTapped("04A1", ADA), T0, SETTINGS)
    assert state.message == "Now tap the new badge for Ada Lovelace"
    state, effects = step(state, BadgeTapped("0ABCDEF0", None), T0, SETTINGS)
    assert [(r.type, r.person, r.badge) for r in records(effects)] == [
        (EventType.ENROLL, "ada", "0ABCDEF0")
    ]
    assert state.message == "Badge enrolled for Ada Lovelace" and state.enrolling is False
    ada_state, _ = run([(BadgeTapped("04A1", ADA), T0)])
    assert step(ada_state, StartEnroll(), T0, SETTINGS)[1] == []  # only staff may enrol


def test_a_banned_person_can_return_but_not_borrow_and_is_told_why() -> None:
    banned = replace(
        ADA,
        blocked_until=T0 + timedelta(days=3),
        blocked_reason="3 late returns in 120 days",
        strikes=3,
    )
    held = replace(LENS, holder="ada")
    loan = Loan("LENS-1", "Lens", T0 + timedelta(hours=5))
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


def test_the_hubs_reminder_is_shown_on_the_welcome_screen() -> None:
    reminded = replace(ADA, notices=("Zeiss 50 (LENS-1) is due back at Mon 02 Mar 17:00.",))
    _state, effects = run([(BadgeTapped("04A1", reminded), T0)])
    welcome = last_screen(effects)
    assert isinstance(welcome, CartScreen)
    assert welcome.message == "Zeiss 50 (LENS-1) is due back at Mon 02 Mar 17:00."


def test_staff_count_the_shelf_and_each_scan_is_recorded_as_seen() -> None:
    staff = Person("sam", "Sam Staff", staff=True)
    held = replace(LENS, holder="ada")
    state, effects = run([(BadgeTapped("0A0B", staff), T0), (StartStocktake(), T0)])
    screen = last_screen(effects)
    assert isinstance(screen, CartScreen) and "Count:" in (screen.message or "")
    state, effects = run(
        [(scan(CAMERA), T0), (scan(held), T0), (scan(CAMERA), T0), (scan(None, "NOPE-1"), T0)],
        state=state,
    )
    assert [(r.type, r.asset, r.person) for r in records(effects)] == [
        (EventType.SEEN, "CAM-1", "sam"),
        (EventType.SEEN, "LENS-1", "sam"),  # custody does not matter to a count
    ]
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen)
    assert [(ln.code, ln.action) for ln in cart.lines] == [
        ("CAM-1", LineAction.COUNTED),
        ("LENS-1", LineAction.COUNTED),
        ("NOPE-1", LineAction.REFUSED),
    ]
    assert cart.message == "Count: 2 counted (Camera already)"
    state, effects = run([(Confirm(), T0)], state=state)
    assert isinstance(last_screen(effects), ReceiptScreen) and records(effects) == []


def test_only_staff_may_count() -> None:
    state, effects = run([(BadgeTapped("04A1", ADA), T0), (StartStocktake(), T0)])
    assert not state.stocktake
    _state, effects = run([(scan(CAMERA), T0)], state=state)
    assert records(effects) == []


def test_a_banned_person_cannot_extend_and_an_open_ended_block_says_so() -> None:
    blocked = replace(
        ADA, blocked_until=datetime(9999, 1, 1, tzinfo=UTC), blocked_reason="see the manager"
    )
    loan = Loan("LENS-1", "Lens", T0 + timedelta(hours=5), category="lens")
    state, effects = run([(BadgeTapped("04A1", blocked, (loan,)), T0)])
    welcome = last_screen(effects)
    assert isinstance(welcome, CartScreen)
    assert welcome.message == "No new loans until staff lift the block: see the manager"
    state, effects = run([(ExtendLoan("LENS-1"), T0)], state=state)
    assert records(effects) == [] and "cannot be extended" in (state.message or "")


def test_a_return_station_invites_a_scan_not_a_badge() -> None:
    station = replace(SETTINGS, profile=Profile.STATION)
    idle = screen_for(State(), station, T0)
    assert isinstance(idle, IdleScreen) and idle.station
    assert not cast(IdleScreen, screen_for(State(), SETTINGS, T0)).station


def test_a_door_held_open_is_asked_to_be_closed_until_it_shuts() -> None:
    state, effects = run([(DoorAlarm(True), T0)])
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.message == "Please close the cage door"
    # a session in between does not lose the request
    state, _ = step(state, BadgeTapped("04A1", ADA), T0, SETTINGS)
    state, effects = step(state, Cancel(), T0, SETTINGS)
    assert cast(IdleScreen, last_screen(effects)).message == "Please close the cage door"
    state, effects = step(state, DoorAlarm(False), T0, SETTINGS)
    assert cast(IdleScreen, last_screen(effects)).message is None


# a cart that is hard to get wrong ----------------------------------------------------------


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


def test_counting_the_shelf_keeps_the_cart_for_afterwards() -> None:
    sam = Person("sam", "Sam Staff", staff=True)
    state, _ = run([(BadgeTapped("0A0B", sam), T0), (scan(CAMERA), T0)])
    state, effects = step(state, StartStocktake(), T0, SETTINGS)
    counting = last_screen(effects)
    assert isinstance(counting, CartScreen) and counting.stocktake and not counting.lines
    state, effects = run([(scan(LENS), T0), (Confirm(), T0)], state=state)
    assert [(r.type, r.asset) for r in records(effects)] == [(EventType.SEEN, "LENS-1")]
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and not cart.stocktake
    assert [(ln.code, ln.action) for ln in cart.lines] == [("CAM-1", LineAction.CHECKOUT)]
    assert cart.message == "Count done: 1 counted. Your items are still here"
    # Cancel while counting stops the count; the cart is still there
    counting, _ = run([(StartStocktake(), T0), (Cancel(), T0)], state=state)
    assert counting.mode.value == "cart" and [ln.code for ln in counting.lines] == ["CAM-1"]
    assert counting.message == "Stopped counting: 0 counted. Your items are still here"
    _, effects = step(state, Confirm(), T0, SETTINGS)
    assert [(r.type, r.asset) for r in records(effects)] == [(EventType.CHECKOUT, "CAM-1")]


def test_a_station_return_fills_the_screen_then_goes() -> None:
    station = Settings(kiosk_name="Door", profile=Profile.STATION)
    state, effects = run([(scan(replace(LENS, holder="ada")), T0)], settings=station)
    shown = last_screen(effects)
    assert isinstance(shown, IdleScreen) and shown.returned == "Lens"
    state, effects = step(state, Tick(), T0 + station.linger, station)
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.returned is None and idle.station


# failures the screen shows -----------------------------------------------------------------


def test_a_camera_fault_offers_typing_the_code_and_the_typed_code_is_a_scan() -> None:
    state, effects = run(
        [
            (DeviceTrouble(Device.CAMERA, "no frames for 10 s"), T0),
            (BadgeTapped("04A1", ADA), T0),
        ]
    )
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and cart.can_type
    assert cart.message == "Camera not working: type the code on the label"
    state, effects = run(
        [(StartTyping(), T0), *[(TypeKey(k), T0) for k in "cam-0x"], (TypeKey(BACKSPACE), T0)],
        state=state,
    )
    keyboard = last_screen(effects)
    assert isinstance(keyboard, CodeEntryScreen) and keyboard.typed == "CAM-0"
    assert keyboard.person_name == "Ada Lovelace"
    # a typo is not a foreign code: said on the keyboard, nothing recorded
    state, effects = step(state, LabelScanned("CK1:-", None, None, "invalid"), T0, SETTINGS)
    assert records(effects) == [] and Feedback(Signal.ERROR) in effects
    assert cast(CodeEntryScreen, last_screen(effects)).message == NOT_A_CODE
    state, effects = step(state, scan(CAMERA), T0, SETTINGS)  # "Look up" found it
    cart = last_screen(effects)
    assert isinstance(cart, CartScreen) and [ln.code for ln in cart.lines] == ["CAM-1"]
    # Cancel on the keyboard goes back to the cart, not out of the session
    state, _ = run([(StartTyping(), T0), (Cancel(), T0)], state=state)
    assert state.mode.value == "cart" and state.typing is None and len(state.lines) == 1
    state, effects = step(state, DeviceTrouble(Device.CAMERA, None), T0, SETTINGS)
    assert not cast(CartScreen, last_screen(effects)).can_type


def test_a_reader_fault_asks_for_staff_on_the_idle_screen() -> None:
    state, effects = run([(DeviceTrouble(Device.READER, "SPI timeout"), T0)])
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen)
    assert idle.troubles == ("Badge reader not working: please ask staff",)
    state, effects = run([(scan(CAMERA), T0), (Tick(), T0 + SETTINGS.linger)], state=state)
    assert cast(IdleScreen, last_screen(effects)).troubles  # outlives other messages
    _, effects = step(state, DeviceTrouble(Device.READER, None), T0, SETTINGS)
    assert cast(IdleScreen, last_screen(effects)).troubles == ()


def test_a_station_whose_camera_is_down_takes_returns_by_typed_code() -> None:
    station = Settings(kiosk_name="Door", profile=Profile.STATION)
    state, effects = run([(DeviceTrouble(Device.CAMERA, "gone"), T0)], settings=station)
    assert cast(IdleScreen, last_screen(effects)).can_type
    state, effects = run(
        [(StartTyping(), T0), *[(TypeKey(k), T0) for k in "LENS-1"]],
        settings=station,
        state=state,
    )
    assert cast(CodeEntryScreen, last_screen(effects)).person_name is None
    _, effects = step(state, scan(replace(LENS, holder="ada")), T0, station)
    assert [(r.type, r.asset) for r in records(effects)] == [(EventType.RETURN, "LENS-1")]
    assert cast(IdleScreen, last_screen(effects)).returned == "Lens"


def test_starting_up_nobody_is_refused_and_nothing_is_recorded_as_denied() -> None:
    state, effects = run([(ReplicaState(False), T0)])
    assert cast(IdleScreen, last_screen(effects)).starting
    state, effects = step(state, BadgeTapped("04A1", None), T0, SETTINGS)
    idle = last_screen(effects)
    assert isinstance(idle, IdleScreen) and idle.message == STARTING_RETRY
    assert records(effects) == []
    state, effects = step(state, ReplicaState(True), T0, SETTINGS)
    assert not cast(IdleScreen, last_screen(effects)).starting
    _, effects = step(state, BadgeTapped("04A1", None), T0, SETTINGS)  # now a stranger
    assert [r.reason for r in records(effects)] == [DenialReason.UNKNOWN_BADGE]


def test_starting_up_the_door_station_still_takes_returns_it_cannot_name_yet() -> None:
    station = Settings(kiosk_name="Door", profile=Profile.STATION)
    state, _ = run([(ReplicaState(False), T0)], settings=station)
    _, effects = step(state, scan(None, "LENS-1"), T0, station)
    assert [(r.type, r.asset, r.person) for r in records(effects)] == [
        (EventType.RETURN, "LENS-1", None)
    ]
    assert cast(IdleScreen, last_screen(effects)).returned == "LENS-1"


def test_records_the_hub_has_not_taken_are_shown_to_staff_not_students() -> None:
    since = datetime(2026, 3, 2, 14, 2, tzinfo=UTC)
    state, effects = run([(AcksOverdue(3, since), T0)])
    note = "Staff: 3 records not yet confirmed by the hub since 14:02"
    assert cast(IdleScreen, last_screen(effects)).staff_note == note
    _, effects = step(state, BadgeTapped("04A1", ADA), T0, SETTINGS)
    assert cast(CartScreen, last_screen(effects)).staff_note is None
    sam = Person("sam", "Sam Staff", staff=True)
    _, effects = step(state, BadgeTapped("0A0B", sam), T0, SETTINGS)
    assert cast(CartScreen, last_screen(effects)).staff_note == note
    _, effects = step(state, AcksOverdue(0), T0, SETTINGS)
    assert cast(IdleScreen, last_screen(effects)).staff_note is None


# the cage's time zone ----------------------------------------------------------------------

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
