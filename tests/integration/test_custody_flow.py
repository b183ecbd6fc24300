"""Custody events from a kiosk to the hub's ledger, through a real broker."""

from __future__ import annotations

from datetime import timedelta

from kiosk.screens import ReceiptScreen
from kiosk.session import Confirm
from tests.harness import Cage


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
