"""Picking up a reservation at a kiosk, through a real broker and the hub's store and link: a
booking made on the hub reaches the kiosk's replica, the booker taps in and sees it, scanning
lends it until the window ends, the hub records the booking picked up, and what someone else
booked is refused with the time it is free again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from kiosk.replica import Replica
from kiosk.screens import CartScreen, LineAction, ReceiptScreen
from kiosk.session import Cancel, Confirm
from tests.harness import Cage

ADA_BADGE = "04A1B2C3"


def _booked(asset: str, person: str) -> Callable[[Replica], bool]:
    def holds(replica: Replica) -> bool:
        item = replica.item(asset)
        return item is not None and any(b.person == person for b in item.bookings)

    return holds


def test_a_booking_made_on_the_hub_is_picked_up_at_the_kiosk(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10)
    now = cage.clock.now()  # Mon 2 Mar 09:30 UTC; the cage keeps UTC
    ends = now + timedelta(hours=5)
    # booked on the hub while the kiosk runs: the hub's replica updates carry it there
    mine = cage.store.add_booking("CAM-0001", "ada", now + timedelta(hours=1), ends, now)
    cage.store.add_booking("CAM-0002", "grace", now, now + timedelta(hours=3), now)
    kiosk.wait_replica(10, until=_booked("CAM-0001", "ada"))
    kiosk.wait_replica(10, until=_booked("CAM-0002", "grace"))

    kiosk.submit(kiosk.badge(ADA_BADGE))
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen), 5)
    assert isinstance(cart, CartScreen)
    assert cart.reservation == "Your reservation: Canon C70 cinema camera, until 14:30"
    assert [r.code for r in cart.reserved] == ["CAM-0001"]

    kiosk.submit(kiosk.label("CK1:CAM-0002"))  # Grace's: refused, with when it is free
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and len(s.lines) == 1, 5)
    assert isinstance(cart, CartScreen)
    assert cart.lines[0].action is LineAction.REFUSED
    assert cart.lines[0].reason == "Reserved by someone else: free again at 12:30"

    kiosk.submit(kiosk.label("CK1:CAM-0001"))  # her own, an hour before the window opens
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and len(s.lines) == 2, 5)
    assert isinstance(cart, CartScreen) and cart.reserved == ()
    assert (cart.lines[1].action, cart.lines[1].due) == (LineAction.CHECKOUT, ends)
    kiosk.submit(Confirm())
    kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 5)
    assert kiosk.link is not None and kiosk.link.wait_drained(10)

    [out] = cage.store.items_out()
    assert (out.asset, out.person, out.due) == ("CAM-0001", "ada", ends)
    states = {b.id: b.state for b in cage.store.bookings_between(now, ends)}
    assert states[mine] == "picked up"
    denied = [r for r in cage.store.ledger_rows() if r.type == "denied"]
    assert [(r.asset, r.reason) for r in denied] == [("CAM-0002", "booked_by_other")]

    # tapping in again, she holds it: nothing is left to pick up
    kiosk.submit(Cancel())
    kiosk.wait_for_screen(lambda s: not isinstance(s, ReceiptScreen), 5)
    kiosk.wait_replica(10, until=lambda r: any(i.code == "CAM-0001" for i, _ in r.loans_of("ada")))
    kiosk.submit(kiosk.badge(ADA_BADGE))
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen), 5)
    assert isinstance(cart, CartScreen)
    assert cart.reservation is None and [loan.code for loan in cart.loans] == ["CAM-0001"]


def test_a_pickup_while_the_hub_is_down_is_marked_picked_up_when_it_is_back(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10)
    now = cage.clock.now()
    ends = now + timedelta(hours=2)
    booking = cage.store.add_booking("LENS-0001", "ada", now - timedelta(minutes=5), ends, now)
    kiosk.wait_replica(10, until=_booked("LENS-0001", "ada"))
    cage.stop_hub()  # the kiosk decides from its replica alone

    kiosk.submit(kiosk.badge(ADA_BADGE))
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen), 5)
    assert isinstance(cart, CartScreen)
    assert cart.reservation == "Your reservation: Zeiss 50mm lens, until 11:30"
    kiosk.submit(kiosk.label("CK1:LENS-0001"))
    kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and not s.reserved, 5)
    kiosk.submit(Confirm())
    kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 5)
    assert kiosk.outbox.depth() == 1  # waiting for the hub
    assert [b.state for b in cage.store.bookings_between(now, ends)] == ["booked"]

    cage.start_hub()
    assert kiosk.link is not None and kiosk.link.wait_drained(15)
    [b] = [b for b in cage.store.bookings_between(now, ends) if b.id == booking]
    assert b.state == "picked up"
    [out] = cage.store.items_out()
    assert (out.asset, out.due) == ("LENS-0001", ends)
