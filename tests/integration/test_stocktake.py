"""A stocktake end to end: a manager starts it, staff scan the shelf at a kiosk through the real
broker, and the hub lists what was expected there and not seen."""

from __future__ import annotations

from kiosk.screens import CartScreen, LineAction
from kiosk.session import Confirm, StartStocktake
from tests.harness import STAFF_BADGE, Cage


def test_a_shelf_count_finds_the_missing_item(cage: Cage) -> None:
    for code in ("CAM-0001", "CAM-0002", "LENS-0001"):
        cage.store.update_asset(code, cage.clock.now(), "manager", home="Film cage")
    number = cage.store.start_stocktake("Film cage", "manager", cage.clock.now())
    kiosk = cage.kiosk("cage-1", location="Film cage")
    kiosk.wait_replica(10)
    cage.clock.advance(60)

    kiosk.submit(kiosk.badge(STAFF_BADGE))
    kiosk.submit(StartStocktake())
    kiosk.submit(kiosk.label("CK1:CAM-0001"))
    kiosk.submit(kiosk.label("CK1:LENS-0001"))
    cart = kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and len(s.lines) == 2, 5)
    assert isinstance(cart, CartScreen)
    assert {ln.action for ln in cart.lines} == {LineAction.COUNTED}
    kiosk.submit(Confirm())
    assert kiosk.link is not None and kiosk.link.wait_drained(10)

    report = cage.store.stocktake_report(number)
    assert [r.code for r in report.seen] == ["CAM-0001", "LENS-0001"]
    assert [r.code for r in report.missing] == ["CAM-0002"]
    assert cage.store.items_out() == []  # counting moves nothing into anyone's custody
    asset = cage.store.asset_detail("CAM-0001")
    assert asset is not None and asset.asset.location == "Film cage"
    assert asset.asset.last_seen == cage.clock.now()
