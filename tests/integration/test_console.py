"""A kiosk on a laptop (``cagekeeper-kiosk --simulate``): typed taps, scans and touches go
through the simulated drivers and the screen's own inputs to the session, and on to the hub;
every screen is saved as a picture."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pygame

from kiosk.app import Devices, KioskApp
from kiosk.console import run_console, save_screens
from kiosk.drivers.camera import SimulatedScanner
from kiosk.drivers.display import Display
from kiosk.drivers.rfid import SimulatedBadgeReader
from kiosk.screens import CartScreen, CodeEntryScreen, IdleScreen, ReceiptScreen, Screen
from kiosk.session import Device, DeviceTrouble, Profile
from tests.harness import STAFF_BADGE, Cage


def simulated(cage: Cage) -> KioskApp:
    kiosk = cage.kiosk("cage-1", Devices(badges=SimulatedBadgeReader(), codes=SimulatedScanner()))
    kiosk.wait_replica(10)
    return kiosk


def test_typed_taps_and_scans_lend_an_item(cage: Cage) -> None:
    kiosk = simulated(cage)
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


def test_every_touch_on_the_screen_can_be_typed_and_each_screen_is_saved(
    cage: Cage, tmp_path: Path
) -> None:
    kiosk = simulated(cage)
    picture = save_screens(kiosk, tmp_path / "screens")
    saved: list[bytes] = []
    out = io.StringIO()

    def until(predicate: Callable[[Screen], bool]) -> None:
        kiosk.wait_for_screen(predicate, 5)
        saved.append(picture.read_bytes())

    def cart_with(code: str, **want: object) -> Callable[[Screen], bool]:
        def check(s: Screen) -> bool:
            lines = [ln for ln in getattr(s, "lines", ()) if ln.code == code]
            return isinstance(s, CartScreen) and any(
                all(getattr(ln, k) == v for k, v in want.items()) for ln in lines
            )

        return check

    def typed() -> Iterator[str]:
        yield "tap 04A1B2C3"
        until(lambda s: isinstance(s, CartScreen))
        yield "type lens-0001"  # the code typed on the screen's keyboard, looked up as a label
        until(cart_with("LENS-0001", action="checkout"))
        yield "remove LENS-0001"
        until(lambda s: isinstance(s, CartScreen) and not s.lines)
        yield "scan CK1:CAM-0001"
        until(cart_with("CAM-0001"))
        yield "confirm"
        until(lambda s: isinstance(s, ReceiptScreen))
        yield "done"
        until(lambda s: isinstance(s, IdleScreen))
        yield "tap 04A1B2C3"
        until(lambda s: isinstance(s, CartScreen) and bool(s.loans))
        yield "extend CAM-0001"
        until(lambda s: isinstance(s, CartScreen) and (s.message or "").startswith("Extended"))
        yield "scan CK1:CAM-0001"
        until(cart_with("CAM-0001", action="return"))
        yield "missing CAM-0001"
        until(cart_with("CAM-0001", condition="missing_part"))
        yield "damaged CAM-0001"
        until(cart_with("CAM-0001", condition="damaged"))
        yield "still"
        yield "confirm"
        until(lambda s: isinstance(s, ReceiptScreen) and s.lines[0].condition == "damaged")
        yield "cancel"
        until(lambda s: isinstance(s, IdleScreen))
        yield f"tap {STAFF_BADGE}"
        until(lambda s: isinstance(s, CartScreen) and s.staff)
        yield "enrol"
        until(lambda s: isinstance(s, CartScreen) and (s.message or "").startswith("Enrol"))
        yield "count"
        until(lambda s: isinstance(s, CartScreen) and s.stocktake)
        yield "scan CK1:LENS-0001"
        until(cart_with("LENS-0001", action="counted"))
        yield "confirm"
        until(lambda s: isinstance(s, ReceiptScreen))
        yield "cancel"
        until(lambda s: isinstance(s, IdleScreen))
        yield f"tap {STAFF_BADGE}"
        until(lambda s: isinstance(s, CartScreen) and s.staff)
        yield "door"
        until(lambda s: isinstance(s, CartScreen) and s.message == "Door unlocked")
        yield "screen"
        yield "quit"

    run_console(kiosk, typed(), out, tmp_path / "screens")
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    assert [(r.type, r.person, r.asset) for r in cage.store.ledger_rows()] == [
        ("checkout", "ada", "CAM-0001"),
        ("extend", "ada", "CAM-0001"),
        ("return", "ada", "CAM-0001"),
        ("seen", "sam", "LENS-0001"),
        ("door_unlocked", "sam", None),
    ]
    assert pygame.image.load(picture).get_size() == (800, 480)
    for before, after in itertools.pairwise(saved):
        assert before != after, "a screen change left the picture as it was"
    assert f"Each screen is saved as {picture}" in out.getvalue()
    assert "CartScreen: person_name=Sam Staff" in out.getvalue()  # "screen" describes it


def test_a_typed_code_shows_the_keyboard_first(cage: Cage) -> None:
    kiosk = simulated(cage)
    shown: list[Screen] = []
    kiosk.on_screen = shown.append

    def typed() -> Iterator[str]:
        yield "tap 04A1B2C3"
        kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen), 5)
        yield "type CAM-0002"

    run_console(kiosk, typed(), io.StringIO())
    kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen) and bool(s.lines), 5)
    keyboard = [s.typed for s in shown if isinstance(s, CodeEntryScreen)]
    assert keyboard[0] == "" and keyboard[-1] == "CAM-0002"


def test_a_kiosk_without_simulated_drivers_says_so(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1", Devices(), connect=False)
    out = io.StringIO()
    run_console(kiosk, ["tap 04A1B2C3", "scan CK1:CAM-0001"], out)
    assert "badge reader is not simulated" in out.getvalue()
    assert "camera is not simulated" in out.getvalue()


def test_the_same_actions_by_touch_a_typed_code_at_a_door_whose_camera_is_down(
    cage: Cage,
) -> None:
    """No console here: taps on the screen's own keyboard, as SDL delivers them."""
    display = Display(monotonic=cage.clock.monotonic)
    display.open(size=(800, 480), fullscreen=False)
    door = cage.kiosk("door-1", Devices(display=display), profile=Profile.STATION, connect=False)
    try:
        door.submit(DeviceTrouble(Device.CAMERA, "no frames"))
        door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.can_type, 5)

        def tap(action: str, code: str | None = None) -> None:
            report = display.last_report
            assert report is not None
            button = report.button(action, code)
            assert button is not None, (action, code)
            pos = button.rect.center
            pygame.event.post(
                pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=pos, touch=False)
            )

        tap("type")
        door.wait_for_screen(lambda s: isinstance(s, CodeEntryScreen), 5)
        code = "LENS-0001"
        for n, key in enumerate(code, start=1):
            tap("key", key)
            shows = code[:n]
            door.wait_for_screen(lambda s: getattr(s, "typed", None) == shows, 5)  # noqa: B023
            cage.clock.advance(0.2)  # a person's pace: the same key twice is two taps
        tap("enter")  # looked up like a scanned label; no replica yet, and still taken back
        door.wait_for_screen(lambda s: isinstance(s, IdleScreen) and s.returned == "LENS-0001", 5)
        [event] = [json.loads(p.payload) for p in door.outbox.pending()]
        assert (event["type"], event["asset"]) == ("return", "LENS-0001")
    finally:
        cage.close_kiosk(door)
