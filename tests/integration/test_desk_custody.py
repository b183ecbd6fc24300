"""A desk checkout is a kiosk's in everything that follows: with a real broker, hub link and
kiosk, the kiosk's replica learns the item is out, refuses it to someone else, the sweeper
raises the overdue alert, and the late return at the kiosk is a strike."""

from __future__ import annotations

from datetime import timedelta

from hub.alerts.dispatch import Alerter
from hub.store.schema import late_returns
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from kiosk.screens import CartScreen, LineAction, ReceiptScreen
from kiosk.session import Cancel, Confirm
from tests.harness import Cage
from tests.web.served import client_of
from tests.web.test_desk import Desk

PASSWORD = "a long desk password"


def test_a_desk_loan_reaches_kiosks_alerts_and_strikes_as_a_kiosk_loan_does(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1")
    kiosk.wait_replica(10)
    create_user(cage.store, "manager", PASSWORD, "manager", cage.clock.now())
    app = create_app(cage.store, WebSettings(secret_key="k" * 40), cage.clock.now)
    desk = Desk(client_of(app, "manager", PASSWORD))
    desk.find("Ada Lovelace")
    desk.scan("CAM-0001")
    assert desk.confirm().status_code == 303
    [out] = cage.store.items_out()
    assert (out.asset, out.person) == ("CAM-0001", "ada")
    assert out.due == cage.clock.now() + timedelta(hours=48)  # the camera category's period

    # the kiosk's replica hears of it, and the kiosk refuses the camera to Grace
    kiosk.wait_replica(10, until=lambda r: r.view().holders.get("CAM-0001") is not None)
    kiosk.submit(kiosk.badge("04112233445566"))
    kiosk.submit(kiosk.label("CK1:CAM-0001"))
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and bool(s.lines), 5)
    assert isinstance(cart, CartScreen)
    assert [(ln.code, ln.action) for ln in cart.lines] == [("CAM-0001", LineAction.REFUSED)]
    kiosk.submit(Cancel())

    cage.clock.advance(timedelta(hours=50).total_seconds())  # two hours late
    Alerter(cage.store, cage.clock.now).run_once()
    # the dashboard's list of open alerts
    opened = cage.store.recent_alerts(100, open_only=True)
    overdue = [a for a in opened if a.person == "ada" and a.kind == "overdue"]
    assert [a.asset for a in overdue] == ["CAM-0001"]

    kiosk.submit(kiosk.badge("04A1B2C3"))  # Ada brings it back to the kiosk
    kiosk.submit(kiosk.label("CK1:CAM-0001"))
    kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and bool(s.lines), 5)
    kiosk.submit(Confirm())
    kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 5)
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    assert cage.store.items_out() == []
    with cage.store.engine.connect() as conn:
        strikes = conn.execute(late_returns.select()).all()
    assert [(s.person, s.asset, s.minutes_late) for s in strikes] == [("ada", "CAM-0001", 120)]
