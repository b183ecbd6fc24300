"""Custody events from a kiosk to the hub's ledger, through a real broker."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.errors import BookingConflict
from kiosk.screens import CartScreen, ReceiptScreen
from kiosk.session import Cancel, Confirm, CycleCondition, ExtendLoan, StartEnroll
from tests.harness import STAFF_BADGE, Cage
from tests.kiosk_visits import lend
from wire import OpeningSpec, ReplicaPolicy


def test_checkout_is_committed_and_acknowledged(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10)
    kiosk.submit(kiosk.badge("04a1b2c3"))
    kiosk.submit(kiosk.label("CK1:CAM-0001"))
    kiosk.submit(Confirm())
    receipt = kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 5)
    assert isinstance(receipt, ReceiptScreen)
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    rows = cage.store.ledger_rows()
    assert [(r.type, r.person, r.asset, r.kiosk) for r in rows] == [
        ("checkout", "ada", "CAM-0001", "cage-1")
    ]
    assert rows[0].due == cage.clock.now() + timedelta(hours=48)
    assert [(i.asset, i.person) for i in cage.store.items_out()] == [("CAM-0001", "ada")]


def test_next_tap_welcomes_with_what_the_person_holds(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10)
    lend(kiosk, "04A1B2C3", "CK1:LENS-0001")
    cage.clock.advance(73 * 3600)  # the lens was due after 72 hours
    kiosk.submit(kiosk.badge("04A1B2C3"))
    welcome = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen), 5)
    assert isinstance(welcome, CartScreen)
    assert [(loan.code, loan.overdue) for loan in welcome.loans] == [("LENS-0001", True)]
    assert welcome.message == "1 overdue: please bring it back"


def test_a_damaged_return_takes_the_item_out_of_circulation(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10)
    lend(kiosk, "04A1B2C3", "CK1:CAM-0002")
    kiosk.submit(kiosk.badge("04A1B2C3"))
    kiosk.submit(kiosk.label("CK1:CAM-0002"))  # Ada brings it back, broken
    kiosk.submit(CycleCondition("CAM-0002"))
    kiosk.submit(Confirm())
    kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 5)
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    kiosk.wait_replica(10, until=lambda r: not getattr(r.item("CAM-0002"), "lendable", True))

    kiosk.submit(Cancel())
    kiosk.submit(kiosk.badge("04112233445566"))  # Grace wants it next: refused
    kiosk.submit(kiosk.label("CK1:CAM-0002"))
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and bool(s.lines), 5)
    assert isinstance(cart, CartScreen)
    assert cart.lines[0].reason == "In for repair: please choose another"
    row = cage.store.ledger_rows()[1]
    assert (row.type, row.asset) == ("return", "CAM-0002")


def test_the_hubs_lending_rules_reach_the_kiosk(cage: Cage) -> None:
    cage.stop_hub()
    opening = OpeningSpec(tz="America/New_York", weekly={"mon": ("09:00", "17:00")})
    cage.start_hub(rules=ReplicaPolicy(max_items=1, block_when_overdue=True, opening=opening))
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10, until=lambda r: r.policy.max_items == 1)
    assert kiosk.replica.policy.opening == opening
    kiosk.submit(kiosk.badge("04A1B2C3"))
    kiosk.submit(kiosk.label("CK1:CAM-0001"))
    kiosk.submit(kiosk.label("CK1:CAM-0002"))
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and len(s.lines) == 2, 5)
    assert isinstance(cart, CartScreen)
    assert [line.reason for line in cart.lines] == [None, "Limit of 1 item reached"]


def test_extending_a_loan_at_the_kiosk_moves_its_due_time_on_the_hub(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10)
    lend(kiosk, "04A1B2C3", "CK1:CAM-0001")
    kiosk.submit(kiosk.badge("04A1B2C3"))
    kiosk.submit(ExtendLoan("CAM-0001"))
    kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and s.message is not None, 5)
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    [item] = cage.store.items_out()
    assert item.due == cage.clock.now() + timedelta(hours=96)  # 48 h, then 48 h more
    kiosk.wait_replica(10, until=lambda r: any(h.renewals == 1 for _i, h in r.loans_of("ada")))


def test_a_booking_made_on_the_hub_reaches_the_kiosk(cage: Cage) -> None:
    now = cage.clock.now()
    cage.store.add_booking(
        "CAM-0002", "grace", now + timedelta(hours=1), now + timedelta(days=2), now
    )
    with pytest.raises(BookingConflict, match="booked by grace"):
        cage.store.add_booking(
            "CAM-0002", "ada", now + timedelta(hours=5), now + timedelta(hours=8), now
        )
    kiosk = cage.kiosk("cage-1")
    assert cage.hub is not None
    cage.hub.republish_replica()
    kiosk.wait_replica(10, until=lambda r: bool(getattr(r.item("CAM-0002"), "bookings", ())))
    kiosk.submit(kiosk.badge("04A1B2C3"))  # Ada may not take what Grace booked
    kiosk.submit(kiosk.label("CK1:CAM-0002"))
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and bool(s.lines), 5)
    assert isinstance(cart, CartScreen)
    # refused with when Grace's booking ends, two days on (Mon 2 Mar 09:30 UTC now)
    assert cart.lines[0].reason == "Reserved by someone else: free again Wed 4 Mar 09:30"
    kiosk.submit(kiosk.badge("04112233445566"))  # Grace picks up her booking
    kiosk.submit(kiosk.label("CK1:CAM-0002"))
    cart = kiosk.wait_for_screen(
        lambda s: isinstance(s, CartScreen) and s.person_name == "Grace Hopper" and bool(s.lines),
        5,
    )
    assert isinstance(cart, CartScreen) and cart.lines[0].action.value == "checkout"


def test_training_rules_set_on_the_hub_apply_at_the_kiosk(cage: Cage) -> None:
    cage.store.require_training("camera", "cinema-1")
    cage.store.grant_training("grace", "cinema-1", None)
    kiosk = cage.kiosk("cage-1")
    assert cage.hub is not None
    cage.hub.republish_replica()
    kiosk.wait_replica(
        10,
        until=lambda r: (
            r.policy.requires == {"camera": "cinema-1"}
            and bool(getattr(r.person_by_badge("04112233445566"), "trainings", ()))
        ),
    )
    kiosk.submit(kiosk.badge("04A1B2C3"))
    kiosk.submit(kiosk.label("CK1:CAM-0001"))
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and bool(s.lines), 5)
    assert isinstance(cart, CartScreen) and cart.lines[0].reason == "Needs the cinema-1 training"
    kiosk.submit(kiosk.badge("04112233445566"))
    kiosk.submit(kiosk.label("CK1:CAM-0001"))
    cart = kiosk.wait_for_screen(
        lambda s: isinstance(s, CartScreen) and s.person_name == "Grace Hopper" and bool(s.lines),
        5,
    )
    assert isinstance(cart, CartScreen) and cart.lines[0].action.value == "checkout"


def test_a_kit_with_a_missing_piece_at_return(cage: Cage) -> None:
    cage.store.add_asset("KIT-0001", "C70 shooting kit", "camera")
    cage.store.add_asset("BATT-0001", "BP-A30 battery", "lens", kit="KIT-0001")
    cage.store.add_asset("LENS-0009", "Kit lens 24-70", "lens", kit="KIT-0001")
    kiosk = cage.kiosk("cage-1")
    assert cage.hub is not None
    cage.hub.republish_replica()
    kiosk.wait_replica(10, until=lambda r: len(getattr(r.item("KIT-0001"), "members", ())) == 2)
    lend(kiosk, "04A1B2C3", "CK1:KIT-0001")
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    assert {i.asset for i in cage.store.items_out()} == {"KIT-0001", "BATT-0001", "LENS-0009"}

    kiosk.wait_replica(10, until=lambda r: len(r.loans_of("ada")) == 3)
    kiosk.submit(kiosk.badge("04A1B2C3"))
    kiosk.submit(kiosk.label("CK1:KIT-0001"))
    kiosk.submit(CycleCondition("BATT-0001"))  # damaged...
    kiosk.submit(CycleCondition("BATT-0001"))  # ...missing
    kiosk.submit(Confirm())
    kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 5)
    assert kiosk.link.wait_drained(10)
    assert [(i.asset, i.person) for i in cage.store.items_out()] == [("BATT-0001", "ada")]
    kit = cage.store.asset("KIT-0001")
    assert kit is not None and kit.status == "maintenance"


def test_a_badge_enrolled_at_the_kiosk_works_at_once(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10)
    kiosk.submit(kiosk.badge(STAFF_BADGE))
    kiosk.submit(StartEnroll())
    kiosk.submit(kiosk.badge("04A1B2C3"))  # Ada's current badge
    kiosk.submit(kiosk.badge("0CAFE123"))  # her new card
    kiosk.wait_for_screen(
        lambda s: isinstance(s, CartScreen) and s.message == "Badge enrolled for Ada Lovelace", 5
    )
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    kiosk.wait_replica(10, until=lambda r: r.person_by_badge("0CAFE123") is not None)
    kiosk.submit(Cancel())
    kiosk.submit(kiosk.badge("0CAFE123"))
    welcome = kiosk.wait_for_screen(
        lambda s: isinstance(s, CartScreen) and s.person_name == "Ada Lovelace", 5
    )
    assert isinstance(welcome, CartScreen)
