"""Unknown badges, unknown items and foreign QR codes: a clear answer, recorded, nothing crashes."""

from __future__ import annotations

from kiosk.screens import CartScreen, DeniedScreen, IdleScreen, LineAction
from kiosk.session import Confirm
from tests.harness import Cage


def test_unknown_badge_is_denied_and_recorded(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10)
    kiosk.submit(kiosk.badge("DEADBEEF"))
    screen = kiosk.wait_for_screen(lambda s: isinstance(s, DeniedScreen), 5)
    assert isinstance(screen, DeniedScreen) and screen.title == "Badge not recognised"
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    [row] = cage.store.ledger_rows()
    assert (row.type, row.reason) == ("denied", "unknown_badge")


def test_unknown_item_and_foreign_code_are_refused(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10)
    kiosk.submit(kiosk.badge("04A1B2C3"))
    kiosk.submit(kiosk.label("CK1:NOPE-404"))
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and bool(s.lines), 5)
    assert isinstance(cart, CartScreen)
    assert cart.lines[0].action is LineAction.REFUSED
    assert cart.lines[0].reason == "Unknown item: please hand it to staff"

    kiosk.submit(kiosk.label("WIFI:S:guest;T:WPA;P:hunter2;;"))
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and bool(s.message), 5)
    assert isinstance(cart, CartScreen)
    assert cart.message == "That code is not an equipment label"

    kiosk.submit(kiosk.label("https://cage.example.edu/a/CAM-0002"))
    kiosk.submit(Confirm())
    kiosk.wait_for_screen(lambda s: not isinstance(s, CartScreen), 5)
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    rows = cage.store.ledger_rows()
    assert [(r.type, r.reason, r.asset) for r in rows] == [
        ("denied", "unknown_item", "NOPE-404"),
        ("denied", "not_a_label", None),
        ("checkout", None, "CAM-0002"),
    ]


def test_scan_without_badge_asks_for_the_badge(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.submit(kiosk.label("CK1:CAM-0001"))
    screen = kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen) and bool(s.message), 5)
    assert isinstance(screen, IdleScreen) and screen.message == "Tap your badge first"


def test_malformed_replica_snapshot_is_ignored(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    version = kiosk.wait_replica(10)
    assert kiosk.replica.apply_snapshot(b'{"v":1,"version":"x"}') is False
    assert kiosk.replica.version == version
    assert kiosk.replica.person_by_badge("04A1B2C3") is not None
