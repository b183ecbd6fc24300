"""Access groups on real parts: a category restricted to a course reaches the kiosks through the
real broker, a kiosk refuses its items to anyone outside it and lends them once the person
joins; the hub refuses such a booking; and a kiosk that lent against the rules while offline
(its replica out of date) shows up in "Needs attention" once its events arrive."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from hub.errors import BookingConflict
from kiosk.app import KioskApp
from kiosk.replica import Replica
from kiosk.screens import CartScreen, IdleScreen, LineAction, ReceiptScreen
from kiosk.session import Cancel, Confirm
from tests.fakes.network import Cable
from tests.harness import Cage

WAIT = 15
ADA, GRACE = "04A1B2C3", "04112233445566"


def _policy_groups(category: str, groups: list[str]) -> Callable[[Replica], bool]:
    return lambda r: r.policy.groups.get(category, []) == groups


def _in_group(badge: str, group: str) -> Callable[[Replica], bool]:
    def check(replica: Replica) -> bool:
        person = replica.person_by_badge(badge)
        return person is not None and group in person.groups

    return check


def _cart(kiosk: KioskApp, badge: str, *labels: str) -> CartScreen:
    kiosk.submit(kiosk.badge(badge))
    for label in labels:
        kiosk.submit(kiosk.label(label))
    shown = kiosk.wait_for_screen(
        lambda s: isinstance(s, CartScreen) and len(s.lines) == len(labels), WAIT
    )
    assert isinstance(shown, CartScreen)
    return shown


def _confirm(kiosk: KioskApp) -> ReceiptScreen:
    kiosk.submit(Confirm())
    shown = kiosk.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), WAIT)
    assert isinstance(shown, ReceiptScreen)
    kiosk.submit(Cancel())
    kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen), WAIT)
    return shown


def _drained(kiosk: KioskApp) -> None:
    assert kiosk.link is not None and kiosk.link.wait_drained(WAIT), kiosk.outbox.depth()


def test_a_kiosk_refuses_a_course_s_cameras_to_others_and_lends_once_they_join(
    cage: Cage,
) -> None:
    now = cage.clock.now()
    cage.store.set_category_groups("camera", ["FILM101"], now, "test")
    cage.store.set_groups("grace", ["film101"])  # from sign-in, spelled the provider's way
    kiosk = cage.kiosk("cage-1")
    restricted, joined = _policy_groups("camera", ["FILM101"]), _in_group(GRACE, "film101")
    kiosk.wait_replica(WAIT, until=lambda r: restricted(r) and joined(r))

    cart = _cart(kiosk, ADA, "CK1:CAM-0001", "CK1:LENS-0001")
    camera, lens = cart.lines
    assert (camera.action, camera.reason) == (
        LineAction.REFUSED,
        "Only for FILM101: you are not in it",
    )
    assert lens.action is LineAction.CHECKOUT  # lenses are open to everyone
    _confirm(kiosk)

    cart = _cart(kiosk, GRACE, "CK1:CAM-0002")
    assert cart.lines[0].action is LineAction.CHECKOUT
    _confirm(kiosk)
    _drained(kiosk)
    assert [(r.type, r.person, r.asset, r.reason) for r in cage.store.ledger_rows()] == [
        ("denied", "ada", "CAM-0001", "not_in_group"),
        ("checkout", "ada", "LENS-0001", None),
        ("checkout", "grace", "CAM-0002", None),
    ]

    # the registrar's list puts Ada in the course; the next replica lets her borrow, and the
    # group she had from nowhere else does not stop Grace's sign-in groups from counting
    assert cage.store.import_groups({"ada": ["FILM101"]}, cage.clock.now(), "test") == 1
    kiosk.wait_replica(WAIT, until=_in_group(ADA, "FILM101"))
    cart = _cart(kiosk, ADA, "CK1:CAM-0001")
    assert cart.lines[0].action is LineAction.CHECKOUT
    _confirm(kiosk)
    _drained(kiosk)
    assert cage.store.attention().anomalies == []  # nothing lent against the rules


def test_the_hub_refuses_a_booking_outside_the_category_s_groups(cage: Cage) -> None:
    now = cage.clock.now()
    cage.store.set_category_groups("camera", ["FILM101", "Photo club"], now, "test")
    starts = now + timedelta(days=1)
    with pytest.raises(BookingConflict) as refused:
        cage.store.add_booking("CAM-0001", "ada", starts, starts + timedelta(hours=4), now)
    assert str(refused.value) == (
        "ada is not in FILM101 or Photo club, the groups CAM-0001 is restricted to"
    )
    assert cage.store.bookings_between(now, now + timedelta(days=7)) == []
    cage.store.set_groups("ada", ["photo CLUB"])  # from sign-in
    made = cage.store.add_booking("CAM-0001", "ada", starts, starts + timedelta(hours=4), now)
    assert made > 0


@pytest.fixture
def cable(cage: Cage) -> Iterator[Cable]:
    wire = Cable(cage.broker.port)
    try:
        yield wire
    finally:
        for app in list(cage.kiosks):
            cage.close_kiosk(app)  # before the cable goes: a kiosk says goodbye through it
        wire.close()


def test_what_an_offline_kiosk_lent_against_the_rules_needs_attention(
    cage: Cage, cable: Cable
) -> None:
    cage.store.add_asset("MIC-0001", "Rode NTG mic", "audio")
    kiosk = cage.kiosk("cage-1", broker_port=cable.port)
    kiosk.wait_replica(WAIT, until=lambda r: r.item("MIC-0001") is not None)
    kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen) and not s.offline, WAIT)
    cable.unplug()
    kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.offline, WAIT)

    # offline, Grace borrows a camera while nothing restricts cameras yet
    assert _cart(kiosk, GRACE, "CK1:CAM-0002").lines[0].action is LineAction.CHECKOUT
    _confirm(kiosk)

    # an hour later, at the hub: cameras become FILM101's, lenses need a training and Grace is
    # blocked; the kiosk cannot hear of it
    cage.clock.advance(3600)
    now = cage.clock.now()
    cage.store.set_category_groups("camera", ["FILM101"], now, "manager")
    cage.store.require_training("lens", "lens-care")
    cage.store.block_person("grace", None, "broke a tripod", now, "manager")

    # another hour on, the offline kiosk lends by its old replica
    cage.clock.advance(3600)
    lent_at = cage.clock.now()
    assert [ln.action for ln in _cart(kiosk, ADA, "CK1:CAM-0001", "CK1:LENS-0001").lines] == [
        LineAction.CHECKOUT,
        LineAction.CHECKOUT,
    ]
    _confirm(kiosk)
    assert _cart(kiosk, GRACE, "CK1:MIC-0001").lines[0].action is LineAction.CHECKOUT
    _confirm(kiosk)
    assert cage.store.attention().anomalies == []

    cable.plug()
    _drained(kiosk)
    assert {r.asset for r in cage.store.items_out()} == {
        "CAM-0001",
        "CAM-0002",
        "LENS-0001",
        "MIC-0001",
    }  # the loans stand: the hub flags them, it cannot undo them
    flagged = {a.asset: (a.kind, a.detail, a.at) for a in cage.store.attention().anomalies}
    when = f"at cage-1 on {lent_at:%Y-%m-%d %H:%M} UTC"
    assert flagged == {
        "CAM-0001": (
            "rule_breach",
            f"ada was lent CAM-0001 {when}: not in FILM101, the groups its category is for",
            lent_at,
        ),
        "LENS-0001": (
            "rule_breach",
            f"ada was lent LENS-0001 {when}: without the lens-care training",
            lent_at,
        ),
        "MIC-0001": (
            "rule_breach",
            f"grace was lent MIC-0001 {when}: while blocked (broke a tripod) until staff lift it",
            lent_at,
        ),
    }  # Grace's camera was lent before cameras were restricted and she was blocked

    # the events came once: a resend or a repeat commit flags nothing more
    kiosk.wait_for_screen(lambda s: isinstance(s, IdleScreen) and not s.offline, WAIT)
    assert len(cage.store.attention().anomalies) == 3
