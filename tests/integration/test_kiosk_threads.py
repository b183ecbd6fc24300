"""The kiosk's thread boundary under load: badges and labels arrive from the device threads while
the link thread swaps replica snapshots and deltas in as fast as it can. Every tap and scan must
reach the session, resolved against one whole replica (never one caught half-way through a
change), and no device thread may die of it."""

from __future__ import annotations

import contextlib
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.app import AppSettings, Devices, KioskApp
from kiosk.drivers.camera import QrScanner, SimulatedScanner
from kiosk.drivers.rfid import MFRC522, BadgeReader, SimulatedBadgeReader
from kiosk.errors import CameraError, ReaderError
from kiosk.session import (
    BadgeTapped,
    Device,
    DeviceTrouble,
    Input,
    LabelScanned,
    ReplicaState,
    Settings,
    Tick,
)
from kiosk.systemd import ServiceNotifier
from tests.fakes.failing_spi import FailingSpi
from tests.fakes.faulty_camera import FaultyPicamera2
from tests.fakes.mfrc522_chip import FakeMFRC522Chip
from tests.fakes.wall_clock import FakeWallClock
from tests.waiting import wait_until
from wire import ReplicaAsset, ReplicaHolding, ReplicaPerson, ReplicaSnapshot
from wire.replica_delta import diff

KEY = b"k" * 32
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ADA_BADGE = "04A1B2C3"
ASSETS = 300
HELD_BY_SNAPSHOT = 150  # items 0..149 are Ada's in even versions, 0..148 in odd ones
OWN_CHECKOUTS = 100  # items 150..249 lent here, not yet acknowledged: the replica's overlay
GRACES = range(250, ASSETS)  # Grace's: scanned by Ada, refused, so custody stays as it is
TAPS = 150


class WatchedApp(KioskApp):
    """The real app, noting each input the session thread handles."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.handled: list[Input] = []
        self._seen = threading.Condition()

    def handle(self, inp: Input) -> list[object]:  # type: ignore[override]
        with self._seen:
            self.handled.append(inp)
            self._seen.notify_all()
        return list(super().handle(inp))

    def wait_handled(self, kind: type, count: int, timeout: float = 10) -> None:
        with self._seen:
            if not self._seen.wait_for(
                lambda: sum(isinstance(i, kind) for i in self.handled) >= count, timeout
            ):
                raise TimeoutError(f"only {self.count(kind)} {kind.__name__} of {count} arrived")

    def count(self, kind: type) -> int:
        return sum(isinstance(i, kind) for i in self.handled)


def code(n: int) -> str:
    return f"CAM-{n:04d}"


def snapshot(version: int) -> ReplicaSnapshot:
    held = HELD_BY_SNAPSHOT - version % 2
    return ReplicaSnapshot(
        version=version,
        at=T0,
        people=[
            ReplicaPerson(id="ada", name="Ada Lovelace", badges=[ADA_BADGE]),
            ReplicaPerson(id="grace", name="Grace Hopper", badges=["04112233445566"]),
        ],
        assets=[
            ReplicaAsset(code=code(n), name=f"Camera {n}", category="camera") for n in range(ASSETS)
        ],
        holdings=[
            ReplicaHolding(asset=code(n), person="ada", due=T0 + timedelta(days=2))
            for n in range(held)
        ]
        + [
            ReplicaHolding(asset=code(n), person="grace", due=T0 + timedelta(days=2))
            for n in GRACES
        ],
    )


def test_taps_and_scans_resolve_whole_while_the_replica_churns(tmp_path: Path) -> None:
    clock = FakeWallClock(T0)
    badges, codes = SimulatedBadgeReader(), SimulatedScanner()
    settings = AppSettings(
        kiosk_id="cage-1",
        session=Settings("Cage"),
        data_dir=tmp_path,
        key=KEY,
        broker=None,
        poll_interval=0.005,
    )
    app = WatchedApp(settings, Devices(badges=badges, codes=codes), clock)
    app._take_replica(snapshot(1).model_dump_json().encode())
    lent = app.outbox.append_all(
        [
            {"type": "checkout", "person": "ada", "asset": code(n), "due": T0 + timedelta(days=1)}
            for n in range(HELD_BY_SNAPSHOT, HELD_BY_SNAPSHOT + OWN_CHECKOUTS)
        ],
        T0,
    )
    for event in lent:
        app.replica.record_all([event])
    app.start_in_background()

    stop = threading.Event()
    versions = [1]

    def churn() -> None:
        """What the link thread does when the hub sends one change after another."""
        current = snapshot(1)
        while not stop.is_set():
            after = snapshot(current.version + 1)
            app._take_replica_delta(diff(current, after).model_dump_json().encode())
            current = snapshot(after.version + 1)
            app._take_replica(current.model_dump_json().encode())
            versions.append(current.version)

    link = threading.Thread(target=churn, name="replica-churn")
    link.start()
    try:
        for n in range(1, TAPS + 1):
            badges.tap(ADA_BADGE)
            codes.show(f"CK1:{code(GRACES[n % len(GRACES)])}")
            app.wait_handled(BadgeTapped, n)
            app.wait_handled(LabelScanned, n)
    finally:
        stop.set()
        link.join(10)
        app.stop()

    assert len(versions) > 10, "the replica hardly changed during the test"
    taps = [i for i in app.handled if isinstance(i, BadgeTapped)]
    scans = [i for i in app.handled if isinstance(i, LabelScanned)]
    assert len(taps) == len(scans) == TAPS
    assert all(t.person is not None and t.person.id == "ada" for t in taps)
    # each tap saw one whole replica: the snapshot's loans and every loan made here
    whole = {HELD_BY_SNAPSHOT + OWN_CHECKOUTS, HELD_BY_SNAPSHOT - 1 + OWN_CHECKOUTS}
    assert {len(t.loans) for t in taps} <= whole
    assert all(s.item is not None and s.item.holder == "grace" for s in scans)
    assert app.faults() == []


# devices that fail: reported, and tried again ------------------------------------------------


def kiosk(tmp_path: Path, devices: Devices, clock: FakeWallClock) -> WatchedApp:
    """A kiosk without a hub whose device threads try again quickly (real seconds)."""
    settings = AppSettings(
        kiosk_id="cage-1",
        session=Settings("Cage"),
        data_dir=tmp_path,
        key=KEY,
        broker=None,
        poll_interval=0.01,
        retry_first=0.02,
        retry_max=0.1,
        frame_stall_after=10.0,
    )
    app = WatchedApp(settings, devices, clock)
    app._take_replica(snapshot(1).model_dump_json().encode())
    return app


def troubles(app: WatchedApp, device: Device) -> list[str | None]:
    return [i.problem for i in app.handled if isinstance(i, DeviceTrouble) and i.device is device]


def wait_trouble(app: WatchedApp, device: Device, count: int) -> list[str | None]:
    wait_until(lambda: len(troubles(app, device)) >= count, f"{count} {device} troubles")
    return troubles(app, device)


def scanned(app: WatchedApp) -> list[str | None]:
    return [i.code for i in app.handled if isinstance(i, LabelScanned)]


def test_a_camera_failing_mid_cart_is_reported_and_reopened(tmp_path: Path) -> None:
    camera = FaultyPicamera2()
    app = kiosk(tmp_path, Devices(codes=QrScanner(camera, size=(640, 480))), FakeWallClock(T0))
    app.start_in_background()
    try:
        camera.show("CK1:CAM-0001")
        wait_until(lambda: "CAM-0001" in scanned(app), "the first label")
        camera.fail_next_captures(3)
        [problem] = wait_trouble(app, Device.CAMERA, 1)
        assert problem is not None and "Camera frontend has timed out" in problem
        assert any(f.startswith("camera: ") for f in app.faults())
        assert wait_trouble(app, Device.CAMERA, 2)[1] is None  # opened again, frames again
        assert app.faults() == []
        camera.show("CK1:CAM-0002")
        wait_until(lambda: "CAM-0002" in scanned(app), "a label after the failure")
    finally:
        app.stop()


def test_a_camera_missing_at_start_up_is_opened_when_it_comes(tmp_path: Path) -> None:
    camera = FaultyPicamera2()
    camera.fail_starts(2)  # and once it can be opened, it starts only at the third try
    attempts: list[int] = []

    def open_camera() -> QrScanner:
        attempts.append(1)
        if len(attempts) < 3:
            raise CameraError("picamera2: no cameras available")
        return QrScanner(camera, size=(640, 480))

    devices = Devices(open_codes=open_camera, faults={"camera": "not available: no cameras"})
    app = kiosk(tmp_path, devices, FakeWallClock(T0))
    app.start_in_background()
    try:
        seen = wait_trouble(app, Device.CAMERA, 2)
        assert seen[0] == "not available: no cameras"  # told at once, from the start-up
        assert seen[1] is None
        assert len(attempts) == 3 and camera.started
        assert app.faults() == []
        camera.show("CK1:CAM-0003")
        wait_until(lambda: "CAM-0003" in scanned(app), "a label from the late camera")
    finally:
        app.stop()


def test_a_stalled_camera_is_noticed_and_reopened(tmp_path: Path) -> None:
    clock = FakeWallClock(T0)
    camera = FaultyPicamera2()
    app = kiosk(tmp_path, Devices(codes=QrScanner(camera, size=(640, 480))), clock)
    app.start_in_background()
    try:
        camera.show("CK1:CAM-0001")
        wait_until(lambda: "CAM-0001" in scanned(app), "the first label")
        camera.hang()
        assert camera.waiting.wait(5), "the capture never hung"
        assert troubles(app, Device.CAMERA) == []  # nothing is said before the limit
        ticks = app.count(Tick)
        clock.advance(11)  # past frame_stall_after with no frame; the watchdog looks twice
        app.wait_handled(Tick, ticks + 1)
        assert troubles(app, Device.CAMERA) == []
        clock.advance(1)
        [problem] = wait_trouble(app, Device.CAMERA, 1)
        assert problem is not None and "no frame for" in problem
        assert any("no frame for" in f for f in app.faults())
        camera.resume()  # the sensor sends frames again
        assert wait_trouble(app, Device.CAMERA, 2)[1] is None
        assert app.faults() == []
        camera.show("CK1:CAM-0002")
        wait_until(lambda: "CAM-0002" in scanned(app), "a label after the stall")
    finally:
        app.stop()


def test_an_unexpected_reader_error_is_reported_and_the_reader_goes_on(tmp_path: Path) -> None:
    clock = FakeWallClock(T0)
    chip = FakeMFRC522Chip()
    spi = FailingSpi(chip)
    app = kiosk(tmp_path, Devices(badges=BadgeReader(MFRC522(spi), clock.monotonic)), clock)
    app.start_in_background()
    try:
        spi.fail_next_transfers(3)  # OSError from the bus: not a ReaderError the driver expects
        seen = wait_trouble(app, Device.READER, 2)
        assert seen[0] is not None and "OSError" in seen[0] and seen[1] is None
        chip.place_card(bytes.fromhex(ADA_BADGE))
        app.wait_handled(BadgeTapped, 1)
        assert app.faults() == []
    finally:
        app.stop()


def test_a_reader_missing_at_start_up_is_opened_when_it_answers(tmp_path: Path) -> None:
    clock = FakeWallClock(T0)
    chip = FakeMFRC522Chip()
    attempts: list[int] = []

    def open_reader() -> BadgeReader:
        attempts.append(1)
        if len(attempts) < 3:
            raise ReaderError("cannot open /dev/spidev0.0: No such file or directory")
        return BadgeReader(MFRC522(chip), clock.monotonic)

    devices = Devices(open_badges=open_reader, faults={"badge reader": "not available: spi"})
    app = kiosk(tmp_path, devices, clock)
    app.start_in_background()
    try:
        seen = wait_trouble(app, Device.READER, 2)
        assert seen == ["not available: spi", None]
        chip.place_card(bytes.fromhex(ADA_BADGE))
        app.wait_handled(BadgeTapped, 1)
        assert len(attempts) == 3 and app.faults() == []
    finally:
        app.stop()


# the replica: starting up without one --------------------------------------------------------


def test_the_session_hears_when_the_first_replica_arrives(tmp_path: Path) -> None:
    settings = AppSettings("cage-1", Settings("Cage"), tmp_path, KEY, None, poll_interval=0.01)
    app = WatchedApp(settings, Devices(), FakeWallClock(T0))
    app.start_in_background()
    try:
        wait_until(lambda: ReplicaState(False) in app.handled, "told it has no replica")
        assert not app.state.ready
        app._take_replica(snapshot(1).model_dump_json().encode())
        wait_until(lambda: ReplicaState(True) in app.handled, "told the replica came")
        app._take_replica(snapshot(2).model_dump_json().encode())
    finally:
        app.stop()
    assert [i for i in app.handled if isinstance(i, ReplicaState)] == [
        ReplicaState(False),
        ReplicaState(True),
    ]
    # started again with the replica it kept: nothing to say
    again = WatchedApp(settings, Devices(), FakeWallClock(T0))
    again.start_in_background()
    again.tap(ADA_BADGE)
    again.wait_handled(BadgeTapped, 1)
    again.stop()
    assert not any(isinstance(i, ReplicaState) for i in again.handled)


# systemd's watchdog ---------------------------------------------------------------------------


def test_only_a_turning_session_loop_feeds_the_watchdog(tmp_path: Path) -> None:
    path = str(tmp_path / "notify")
    systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    systemd.bind(path)
    systemd.settimeout(5)
    period = 0.2  # WatchdogSec, shortened: a ping is due every 0.1 s
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": str(int(period * 1e6))}
    settings = AppSettings("cage-1", Settings("Cage"), tmp_path, KEY, None, poll_interval=0.01)
    badges = SimulatedBadgeReader()
    notifier = ServiceNotifier(env)
    app = WatchedApp(settings, Devices(badges=badges), FakeWallClock(T0), notifier=notifier)
    stuck, release = threading.Event(), threading.Event()

    def show(_screen: object) -> None:
        stuck.set()
        release.wait(10)  # the session loop hangs (a display driver that never returns)

    app.start_in_background()
    try:
        assert systemd.recv(4096).startswith(b"READY=1")
        assert systemd.recv(4096) == b"WATCHDOG=1"
        assert systemd.recv(4096) == b"WATCHDOG=1"
        app.on_screen = show
        badges.tap("DEADBEEF")  # the next screen shown hangs the loop
        assert stuck.wait(5)
        systemd.settimeout(0.1)
        with contextlib.suppress(TimeoutError):
            while systemd.recv(4096):  # what was sent before the loop hung
                pass
        systemd.settimeout(period * 5)  # five periods: systemd would have restarted it
        with pytest.raises(TimeoutError):
            systemd.recv(4096)
        assert badges.healthy  # the device threads live on; they must not keep it alive
        app.on_screen = None
        release.set()
        systemd.settimeout(5)
        assert systemd.recv(4096) == b"WATCHDOG=1"
    finally:
        release.set()
        app.stop()
        systemd.close()
