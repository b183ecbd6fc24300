"""A kiosk on a laptop (``cagekeeper-kiosk --simulate``): typed taps and scans go through the
simulated drivers to the session, and on to the hub."""

from __future__ import annotations

import io
from collections.abc import Iterator

from kiosk.app import Devices
from kiosk.console import run_console
from kiosk.drivers.camera import SimulatedScanner
from kiosk.drivers.rfid import SimulatedBadgeReader
from kiosk.screens import CartScreen, ReceiptScreen
from tests.harness import Cage


def test_typed_taps_and_scans_lend_an_item(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1", Devices(badges=SimulatedBadgeReader(), codes=SimulatedScanner()))
    kiosk.wait_replica(10)
    out = io.StringIO()

    def typed() -> Iterator[str]:
        yield "tap 04a1b2c3"
        kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen), 5)
        yield "scan CK1:CAM-0001"
        kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and bool(s.lines), 5)
        yield "confirm"
        kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 5)
        yield "borrow everything"
        yield "quit"
        yield "tap 04112233445566"  # never read: quit ends the console

    run_console(kiosk, typed(), out)
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    assert [(r.type, r.person, r.asset) for r in cage.store.ledger_rows()] == [
        ("checkout", "ada", "CAM-0001")
    ]
    assert "tap <badge uid>" in out.getvalue()  # the unknown command got the list of commands


def test_a_kiosk_without_simulated_drivers_says_so(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1", Devices(), connect=False)
    out = io.StringIO()
    run_console(kiosk, ["tap 04A1B2C3", "scan CK1:CAM-0001"], out)
    assert "badge reader is not simulated" in out.getvalue()
    assert "camera is not simulated" in out.getvalue()
