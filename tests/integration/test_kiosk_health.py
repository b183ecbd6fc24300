"""A kiosk's troubles reach the hub's kiosk page: a badge reader that is unplugged (through the
fake MFRC522 at the SPI level) shows up as a fault, and goes away when it answers again; events
the hub receives but never acknowledges become a warning on the kiosk and on the page."""

from __future__ import annotations

from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from kiosk.app import Devices
from kiosk.drivers.rfid import MFRC522, BadgeReader
from kiosk.screens import ReceiptScreen
from kiosk.session import Confirm
from tests.fakes.mfrc522_chip import FakeMFRC522Chip
from tests.harness import Cage
from tests.waiting import wait_until
from tests.web.conftest import PASSWORD
from tests.web.served import client_of


def faults(cage: Cage, kiosk_id: str) -> tuple[str, ...]:
    return next(k.faults for k in cage.store.kiosk_views() if k.id == kiosk_id)


def test_an_unplugged_reader_is_reported_to_the_hub_until_it_answers(cage: Cage) -> None:
    chip = FakeMFRC522Chip()
    chip.unplug()
    reader = BadgeReader(MFRC522(chip), cage.clock.monotonic)
    kiosk = cage.kiosk("cage-1", Devices(badges=reader, faults={"camera": "not available: x"}))
    kiosk.wait_replica(10)
    wait_until(lambda: any(f.startswith("badge reader: ") for f in faults(cage, "cage-1")), "fault")
    assert "camera: not available: x" in faults(cage, "cage-1")
    assert any("no MFRC522 answered" in f for f in faults(cage, "cage-1"))

    chip.replug()
    cage.clock.advance(3)  # past the reader's retry time, and a session tick
    wait_until(lambda: reader.healthy, "the reader never recovered")
    cage.clock.advance(1)  # the next tick tells the hub
    wait_until(lambda: faults(cage, "cage-1") == ("camera: not available: x",), "still faulty")
    chip.place_card(bytes.fromhex("04A1B2C3"))
    kiosk.wait_for_screen(lambda s: type(s).__name__ == "CartScreen", 5)


def test_events_the_hub_never_acknowledges_become_a_warning(cage: Cage) -> None:
    cage.register_kiosk("cage-1")
    cage.kiosk_keys["cage-1"] = b"w" * 32  # the kiosk signs with a key the hub does not hold
    create_user(cage.store, "viewer", PASSWORD, "viewer", cage.clock.now())
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10)
    wait_until(lambda: kiosk.link is not None and kiosk.link.hub_online, "the hub is online")
    kiosk.submit(kiosk.badge("04A1B2C3"))
    kiosk.submit(kiosk.label("CK1:CAM-0001"))
    kiosk.submit(Confirm())
    kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 5)  # a receipt, all the same
    assert kiosk.state.unacked == 0

    def minutes_pass() -> bool:
        cage.clock.advance(10)  # the hub is reachable all along; no ack comes
        return kiosk.state.unacked == 1

    wait_until(minutes_pass, "the kiosk never warned about its unacknowledged event")
    assert kiosk.state.unacked_since is not None
    wait_until(lambda: overdue(cage) == 1, "the hub's kiosk page never showed the warning")
    page = kiosks_page(cage)
    row = next(r for r in page.split("<tr>") if ">cage-1<" in r)
    assert "1 not acknowledged by the hub since" in row

    # staff move the event aside (it was signed wrongly): the warning goes on both sides
    [waiting] = kiosk.outbox.pending()
    kiosk.outbox.dead_letter(waiting.id, "signed with the wrong key", cage.clock.now())
    cage.clock.advance(10)
    wait_until(lambda: kiosk.state.unacked == 0, "the kiosk still warns")
    wait_until(lambda: overdue(cage) == 0, "the hub still shows the warning")
    assert "not acknowledged" not in kiosks_page(cage)


def overdue(cage: Cage) -> int:
    return next(k.acks_overdue for k in cage.store.kiosk_views() if k.id == "cage-1")


def kiosks_page(cage: Cage) -> str:
    """The dashboard's kiosks page, as a viewer sees it."""
    app = create_app(cage.store, WebSettings(secret_key="k" * 40), cage.clock.now)
    client = client_of(app, "viewer", PASSWORD)
    page: str = client.get("/kiosks").text
    return page
