"""A kit through a real broker and hub: lent with one due time, back with a piece missing, the
hub's page naming the piece still out, and the kit refused whole to the next person."""

from __future__ import annotations

from datetime import timedelta

from kiosk.screens import CartScreen, LineAction, ReceiptScreen
from kiosk.session import Cancel, Confirm, CycleCondition, ExtendLoan
from tests.harness import Cage
from tests.kiosk_visits import lend


def test_a_kit_goes_out_with_one_due_time_and_is_refused_whole_while_a_piece_is_out(
    cage: Cage,
) -> None:
    store = cage.store
    store.add_asset("KIT-0001", "C70 shooting kit", "camera")  # 48 hours alone
    store.add_asset("BATT-0001", "BP-A30 battery", "battery", kit="KIT-0001")
    store.add_asset("LENS-0009", "Kit lens 24-70", "lens", kit="KIT-0001")  # 72 hours alone
    store.set_loan_hours("battery", 6)
    kiosk = cage.kiosk("cage-1")
    assert cage.hub is not None and kiosk.link is not None
    cage.hub.republish_replica()
    kiosk.wait_replica(10, until=lambda r: len(getattr(r.item("KIT-0001"), "members", ())) == 2)

    lend(kiosk, "04A1B2C3", "CK1:KIT-0001")
    assert kiosk.link.wait_drained(10)
    out = {i.asset: i.due for i in store.items_out()}
    assert set(out) == {"KIT-0001", "BATT-0001", "LENS-0009"}
    assert set(out.values()) == {cage.clock.now() + timedelta(hours=6)}  # the battery's

    # renewed whole: one more period of the shortest, from the one due time
    kiosk.wait_replica(10, until=lambda r: len(r.loans_of("ada")) == 3)
    kiosk.submit(kiosk.badge("04A1B2C3"))
    kiosk.submit(ExtendLoan("BATT-0001"))
    kiosk.wait_for_screen(
        lambda s: isinstance(s, CartScreen) and s.message == "Extended: C70 shooting kit", 5
    )
    kiosk.submit(Cancel())
    assert kiosk.link.wait_drained(10)
    renewed = {i.due for i in store.items_out()}
    assert renewed == {cage.clock.now() + timedelta(hours=12)}

    # back with the battery missing: the kit is in, the battery still Ada's
    kiosk.wait_replica(10, until=lambda r: all(h.renewals == 1 for _i, h in r.loans_of("ada")))
    kiosk.submit(kiosk.badge("04A1B2C3"))
    kiosk.submit(kiosk.label("CK1:KIT-0001"))
    kiosk.submit(CycleCondition("BATT-0001"))  # damaged...
    kiosk.submit(CycleCondition("BATT-0001"))  # ...missing
    kiosk.submit(Confirm())
    kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 5)
    kiosk.submit(Cancel())
    assert kiosk.link.wait_drained(10)
    detail = store.asset_detail("KIT-0001")
    assert detail is not None
    assert [(p.code, p.holder) for p in detail.pieces_out] == [("BATT-0001", "ada")]

    # the kit itself is seen to and back in circulation; still Grace cannot take it, and the
    # kiosk says which piece keeps it in
    [ticket] = store.tickets(asset="KIT-0001")
    store.close_ticket(ticket.id, "no_fault", cage.clock.now(), "manager")
    cage.hub.republish_replica()
    kiosk.wait_replica(10, until=lambda r: not getattr(r.item("KIT-0001"), "in_maintenance", True))
    kiosk.wait_replica(10, until=lambda r: len(r.loans_of("ada")) == 1)
    kiosk.submit(kiosk.badge("04112233445566"))
    kiosk.submit(kiosk.label("CK1:KIT-0001"))
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and bool(s.lines), 5)
    assert isinstance(cart, CartScreen)
    [line] = cart.lines
    assert line.action is LineAction.REFUSED
    assert (
        line.reason
        == "BP-A30 battery (BATT-0001) cannot go: still on someone else's loan: see staff"
    )
    kiosk.submit(Cancel())
    assert kiosk.link.wait_drained(10)
    denied = [r for r in store.ledger_rows() if r.type == "denied" and r.asset == "KIT-0001"]
    assert [(r.person, r.reason) for r in denied] == [("grace", "held_by_other")]
    assert {i.asset for i in store.items_out()} == {"BATT-0001"}  # nothing more went out
