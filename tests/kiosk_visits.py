"""A person at a kiosk (a whole checkout, or a visit whose receipt comes later), and what the
end-to-end tests wait for: the kiosk online or offline, its outbox drained, an item free or
held in its replica."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.app import KioskApp
from kiosk.replica import Replica
from kiosk.screens import IdleScreen, ReceiptScreen
from kiosk.session import Cancel, Confirm
from tests.harness import PEOPLE

ADA = PEOPLE["ada"][1]
GRACE = PEOPLE["grace"][1]
WAIT = 10.0  # seconds for anything on loopback; a pass takes a fraction of it


def online(kiosk: KioskApp) -> None:
    kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen) and not s.offline, WAIT)


def offline(kiosk: KioskApp) -> None:
    kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.offline, WAIT)


def drained(kiosk: KioskApp, timeout: float = WAIT) -> None:
    assert kiosk.link is not None and kiosk.link.wait_drained(timeout), (
        f"{kiosk.settings.kiosk_id} still holds {kiosk.outbox.depth()} events"
    )


def free(code: str) -> Callable[[Replica], bool]:
    """The replica has the item on the shelf, from the hub (no event of ours still open)."""

    def check(replica: Replica) -> bool:
        item = replica.item(code)
        return item is not None and item.holder is None

    return check


def held_by(code: str, person: str) -> Callable[[Replica], bool]:
    def check(replica: Replica) -> bool:
        item = replica.item(code)
        return item is not None and item.holder == person

    return check


def lend(kiosk: KioskApp, badge: str, label: str) -> None:
    """A whole checkout at the kiosk, ending back on the idle screen."""
    kiosk.submit(kiosk.badge(badge))
    kiosk.submit(kiosk.label(label))
    kiosk.submit(Confirm())
    kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 5)
    kiosk.submit(Cancel())
    kiosk.wait_for_screen(lambda s: not isinstance(s, ReceiptScreen), 5)


def visit(kiosk: KioskApp, badge: str, *labels: str) -> None:
    """A person at a cage kiosk: badge, labels, Confirm (the screen's receipt comes later)."""
    kiosk.submit(kiosk.badge(badge))
    for label in labels:
        kiosk.submit(kiosk.label(label))
    kiosk.submit(Confirm())


def receipt(kiosk: KioskApp) -> ReceiptScreen:
    """Wait for the visit's receipt, then leave (the next person starts from the idle screen)."""
    shown = kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), WAIT)
    assert isinstance(shown, ReceiptScreen)
    kiosk.submit(Cancel())
    kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen), WAIT)
    return shown
