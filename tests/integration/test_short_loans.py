"""A loan period in minutes, set on the hub, reaches a kiosk through the real broker and gives
a 30-minute loan (a room key, a meter)."""

from __future__ import annotations

from datetime import timedelta

from tests.harness import Cage
from tests.kiosk_visits import lend


def test_a_thirty_minute_loan_set_on_the_hub_is_due_thirty_minutes_after_checkout(
    cage: Cage,
) -> None:
    cage.store.set_loan_period("camera", "minutes", 30)
    kiosk = cage.kiosk("cage-1")
    assert cage.hub is not None
    cage.hub.republish_replica()
    kiosk.wait_replica(10, until=lambda r: r.policy.loan_for("camera").kind == "minutes")

    lend(kiosk, "04A1B2C3", "CK1:CAM-0001")
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    (row,) = cage.store.ledger_rows()
    assert row.due == row.at + timedelta(minutes=30)
    (held,) = cage.store.items_out()
    assert held.due == row.at + timedelta(minutes=30)
