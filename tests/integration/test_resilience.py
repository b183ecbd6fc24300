"""Nothing is lost when the hub, the broker or the kiosk goes away mid-session."""

from __future__ import annotations

from kiosk.app import KioskApp
from kiosk.screens import CartScreen, DeniedScreen, IdleScreen, ReceiptScreen
from kiosk.session import Confirm, Profile
from tests.harness import Cage


def _checkout(kiosk: KioskApp, badge: str, *labels: str) -> ReceiptScreen:
    kiosk.submit(kiosk.badge(badge))
    for label in labels:
        kiosk.submit(kiosk.label(label))
    kiosk.submit(Confirm())
    screen = kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 5)
    assert isinstance(screen, ReceiptScreen)
    return screen


def test_hub_down_event_survives_kiosk_restart_and_commits_once(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10)
    kiosk.submit(kiosk.badge("04A1B2C3"))
    kiosk.submit(kiosk.label("CK1:CAM-0001"))
    kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and bool(s.lines), 5)
    cage.stop_hub()  # while Ada is at the kiosk, her camera in the cart

    kiosk.submit(Confirm())
    receipt = kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 5)
    assert isinstance(receipt, ReceiptScreen)
    assert [line.code for line in receipt.lines] == ["CAM-0001"]
    assert kiosk.outbox.depth() == 1
    cage.close_kiosk(kiosk)

    restarted = cage.kiosk("cage-1")
    assert restarted.outbox.depth() == 1  # survived the restart
    # offline, the restarted kiosk still knows Ada holds the camera (its own overlay)
    item = restarted.replica.item("CAM-0001")
    assert item is not None and item.holder == "ada"

    cage.start_hub()
    assert restarted.link is not None and restarted.link.wait_drained(20)
    rows = cage.store.ledger_rows()
    assert [(r.type, r.asset, r.seq) for r in rows] == [("checkout", "CAM-0001", 1)]


def test_broker_restart_loses_nothing_and_kiosk_reconnects(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10)
    assert kiosk.link is not None and kiosk.link.wait_connected(10)
    kiosk.submit(kiosk.badge("04A1B2C3"))
    kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen), 5)

    cage.broker.stop()
    kiosk.submit(kiosk.label("CK1:CAM-0001"))
    kiosk.submit(Confirm())
    receipt = kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen) and s.offline, 10)
    assert isinstance(receipt, ReceiptScreen)
    assert kiosk.outbox.depth() == 1

    cage.broker.start()
    assert kiosk.link.wait_connected(30), "kiosk did not reconnect by itself"
    assert kiosk.link.wait_drained(30)
    assert [(r.type, r.person, r.asset) for r in cage.store.ledger_rows()] == [
        ("checkout", "ada", "CAM-0001")
    ]
    assert cage.broker.persistence_file.exists(), "broker persistence wrote nothing"


def test_second_kiosk_sees_the_loan_through_the_replica(cage: Cage) -> None:
    first = cage.kiosk("cage-1")
    second = cage.kiosk("cage-2")
    first.wait_replica(10)
    second.wait_replica(10)
    _checkout(first, "04A1B2C3", "CK1:CAM-0001")
    assert first.link is not None and first.link.wait_drained(10)
    second.wait_replica(10, until=lambda r: getattr(r.item("CAM-0001"), "holder", None) == "ada")
    # Grace is refused the camera Ada holds, at the other kiosk
    second.submit(second.badge("04112233445566"))
    second.submit(second.label("CK1:CAM-0001"))
    cart = second.wait_for_screen(lambda s: isinstance(s, CartScreen) and bool(s.lines), 5)
    assert isinstance(cart, CartScreen)
    assert cart.lines[0].reason == "Still on someone else's loan: see staff"


def test_idle_screen_says_offline_when_broker_is_gone(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen) and not s.offline, 10)
    cage.broker.stop()
    kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.offline, 10)


def test_kiosk_says_offline_while_the_hub_is_away(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen) and not s.offline, 10)
    cage.stop_hub()  # the broker is still there, but nobody commits
    kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.offline, 10)
    cage.start_hub()
    kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen) and not s.offline, 10)


def test_a_kiosk_booting_without_a_network_says_offline_until_the_hub_answers(
    cage: Cage,
) -> None:
    cage.broker.stop()
    kiosk = cage.kiosk("cage-1")
    first = kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen), 10)
    assert isinstance(first, IdleScreen) and first.offline
    cage.broker.start()
    kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen) and not s.offline, 30)


def test_before_its_first_replica_a_kiosk_refuses_nobody_and_takes_returns(cage: Cage) -> None:
    cage.broker.stop()  # first boot with the broker out of reach: no replica, nobody known
    front = cage.kiosk("cage-1")
    door = cage.kiosk("door-1", profile=Profile.STATION)
    assert not front.replica.ready and not door.replica.ready

    front.submit(front.badge("04A1B2C3"))  # Ada is registered; this kiosk cannot know it yet
    shown = front.wait_for_screen(lambda s: "waiting for the hub" in _message(s), 5)
    assert not isinstance(shown, DeniedScreen)
    door.submit(door.label("CK1:CAM-0001"))  # brought back to the door before the hub is heard
    door.wait_for_screen(lambda s: "Returned" in _message(s), 5)
    assert front.outbox.depth() == 0  # no denial recorded against a registered badge
    assert door.outbox.depth() == 1

    cage.broker.start()
    front.wait_replica(30)
    door.wait_replica(30)
    assert door.link is not None and door.link.wait_drained(20)
    assert [(r.kiosk, r.type, r.asset) for r in cage.store.ledger_rows()] == [
        ("door-1", "return", "CAM-0001")
    ]
    front.submit(front.badge("04A1B2C3"))  # now the kiosk knows her
    front.wait_for_screen(lambda s: isinstance(s, CartScreen), 5)
    assert not [r for r in cage.store.ledger_rows() if r.type == "denied"]


def _message(screen: object) -> str:
    return str(getattr(screen, "message", None) or "")
