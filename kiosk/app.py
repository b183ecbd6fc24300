"""The kiosk application: drivers feed the session, the session's effects drive the outputs.

One thread owns the session and the display; device threads only put raw readings (a badge's
UID, a label's text) on a queue, so the UI never waits on the reader, the camera or the network,
and the session thread alone resolves them against the replica. A device thread that fails in
any way is logged, reported (on screen and in the status) and started again after a pause that
grows while the failure lasts; a camera that stops delivering frames is noticed by the session
loop and reopened. Only the session loop tells systemd's watchdog the kiosk is alive.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from kiosk import __version__
from kiosk.clock import Clock
from kiosk.errors import DriverError, OutboxError
from kiosk.link import BrokerSettings, KioskLink
from kiosk.lockout_file import LockoutFile
from kiosk.outbox import AckWatch, Outbox
from kiosk.replica import Replica
from kiosk.screens import DeniedScreen, IdleScreen, Loan, Screen
from kiosk.session import (
    AcksOverdue,
    BadgeTapped,
    Cancel,
    Confirm,
    ConnectivityChanged,
    CycleCondition,
    Device,
    DeviceTrouble,
    DoorAlarm,
    Effect,
    ExtendLoan,
    Feedback,
    Input,
    LabelScanned,
    Mode,
    PinEnter,
    Record,
    RemoveItem,
    ReplicaState,
    Settings,
    Show,
    Signal,
    StartEnroll,
    StartStocktake,
    State,
    Tick,
    Unlock,
    UnlockDoor,
    screen_for,
    step,
)
from kiosk.systemd import ServiceNotifier
from kiosk.timesync import ClockSync
from wire import KioskState, KioskStatus, LabelError, parse_label
from wire.badges import BadUid, normal_uid

log = logging.getLogger(__name__)


class BadgeSource(Protocol):
    def poll(self) -> str | None: ...


class CodeSource(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def poll(self) -> list[str]: ...


class Indicator(Protocol):
    def show(self, pattern: str) -> None: ...
    def beep(self, tone: str) -> None: ...
    def stop_alarm(self) -> None: ...
    def tick(self) -> None: ...
    def close(self) -> None: ...


class DoorControl(Protocol):
    def unlock(self, seconds: float) -> None: ...
    def tick(self) -> None: ...
    def close(self) -> None: ...


class Closeable(Protocol):
    def close(self) -> None: ...


class DoorMonitor(Protocol):
    @property
    def held_open(self) -> bool: ...
    def close(self) -> None: ...


class UiAction(Protocol):
    @property
    def action(self) -> str: ...
    @property
    def code(self) -> str | None: ...


class ScreenDevice(Protocol):
    def show(self, screen: Screen) -> object: ...
    def poll_actions(self) -> Sequence[UiAction]: ...
    def close(self) -> None: ...


@dataclass
class Devices:
    """What the kiosk has fitted; any of them may be absent (a return station has no screen)."""

    badges: BadgeSource | None = None
    codes: CodeSource | None = None
    indicator: Indicator | None = None
    display: ScreenDevice | None = None
    door: DoorControl | None = None
    door_sensor: DoorMonitor | None = None
    button: Closeable | None = None  # a physical confirm button, wired with app.press()
    extra_closers: list[Callable[[], None]] = field(default_factory=list)
    faults: dict[str, str] = field(default_factory=dict)  # devices that failed to start, and why
    # how to open the reader or the camera again when it could not be opened at start-up: the
    # app keeps trying (with a growing pause) instead of running without it until a restart
    open_badges: Callable[[], BadgeSource] | None = None
    open_codes: Callable[[], CodeSource] | None = None


@dataclass(frozen=True)
class AppSettings:
    kiosk_id: str
    session: Settings
    data_dir: Path
    key: bytes
    broker: BrokerSettings | None
    poll_interval: float = 0.05
    tick_interval: float = 0.5
    status_interval: float = 30.0
    frame_stall_after: float = 10.0  # no frame from a running camera for this long: a fault
    ack_overdue_after: float = 300.0  # an event unacknowledged this long (hub reachable): warn
    ack_check_interval: float = 5.0
    retry_first: float = 1.0  # pause before opening a failed device again, doubling ...
    retry_max: float = 30.0  # ... up to this


@dataclass(frozen=True)
class _BadgeRead:
    """A UID from the reader, resolved against the replica on the session thread."""

    uid: str


@dataclass(frozen=True)
class _CodeRead:
    """A decoded QR text from the camera, resolved against the replica on the session thread."""

    text: str


_DEVICE_NAMES = {Device.READER: "badge reader", Device.CAMERA: "camera"}
_MAX_CAMERA_THREADS = 4  # the current one and up to three left stuck in a capture


class _Backoff:
    """The pause before trying a failed device again: doubling from ``first`` to ``limit``."""

    def __init__(self, first: float, limit: float) -> None:
        self.first, self.limit = first, limit
        self._next = first

    def next(self) -> float:
        pause, self._next = self._next, min(self._next * 2, self.limit)
        return pause

    def reset(self) -> None:
        self._next = self.first


def _problem(exc: BaseException) -> str:
    """A short technical description of a device failure, for the screen and the status."""
    if isinstance(exc, DriverError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


_SIGNALS = {
    Signal.OK: ("success", "ok"),
    Signal.ERROR: ("denied", "error"),
    Signal.DONE: ("success", "ok"),
}


class KioskApp:
    def __init__(
        self,
        settings: AppSettings,
        devices: Devices,
        clock: Clock,
        clock_sync: ClockSync | None = None,
        notifier: ServiceNotifier | None = None,
    ) -> None:
        self.settings = settings
        self.devices = devices
        self.clock = clock
        # systemd's readiness and watchdog (does nothing outside a Type=notify service)
        self.notifier = notifier or ServiceNotifier()
        # whether NTP has set the wall clock (None: unknown); asked off the session thread
        self._clock_sync = clock_sync
        self.clock_synced: bool | None = None
        self._clock_check = threading.Event()
        self.outbox = Outbox(settings.data_dir / "outbox.db", settings.kiosk_id, settings.key)
        self.replica = Replica(settings.data_dir / "replica.db", settings.kiosk_id)
        # offline until the hub says it is there: a kiosk booting without a network says so
        # wrong door PINs and lockouts outlive a restart
        self._lockouts = LockoutFile(settings.data_dir / "pin-lockouts.json")
        self.state = State(offline=settings.broker is not None, lockouts=self._lockouts.load())
        self.screen: Screen | None = None
        self.screens_shown = 0
        self._inputs: queue.Queue[Input | _BadgeRead | _CodeRead] = queue.Queue()
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started_at = clock.monotonic()
        self.on_screen: Callable[[Screen], None] | None = None
        self._alarming = False
        self._health_lock = threading.Lock()
        self._reported_faults: list[str] = []
        self._troubles: dict[Device, str] = {}  # devices failing now, and how
        # the camera: which of its threads is current (one stuck in a capture is left behind),
        # whether it should be delivering frames, and when it last made progress
        self._camera_lock = threading.Lock()
        self._camera_generation = 0
        self._camera_threads: list[threading.Thread] = []
        self._camera_expected = False
        self._camera_polls = 0
        self._camera_mark: object = None
        self._camera_progress_at = clock.monotonic()
        self._camera_suspect = False  # silent too long at the watchdog's last look
        self._replica_lock = threading.Lock()
        self._replica_told: bool | None = None  # the ReplicaState the session was last given
        self._ack_watch = AckWatch(settings.ack_overdue_after)
        self._acks_overdue: tuple[int, datetime | None] = (0, None)
        self._last_ack_check = clock.monotonic()
        self._last_tick = self._last_status = 0.0
        self.link: KioskLink | None = None
        if settings.broker is not None:
            self.link = KioskLink(
                settings.broker,
                self.outbox,
                settings.key,
                self._status,
                on_replica=self._take_replica,
                on_replica_delta=self._take_replica_delta,
                on_online=lambda online: self.submit(ConnectivityChanged(online)),
                monotonic=clock.monotonic,
                utcnow=clock.now,
            )

    # lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start device threads and the link; the session loop runs in ``run`` or a thread."""
        if self._clock_sync is not None:
            self._check_clock()  # before connecting, so the first status says it already
            self._spawn("clock-sync", self._watch_clock)
        if self.link is not None:
            self.link.start()
        for device, name in _DEVICE_NAMES.items():
            if name in self.devices.faults:  # could not be opened: the session shows it too
                self._trouble(device, self.devices.faults[name])
        if self.devices.badges is not None or self.devices.open_badges is not None:
            self._spawn("badge-reader", self._pump_badges)
        if self.devices.codes is not None or self.devices.open_codes is not None:
            self._start_camera_thread(reopen=False)
        if self.devices.indicator is not None:
            self.devices.indicator.show("offline" if self.state.offline else "ready")

    def start_in_background(self) -> None:
        self.start()
        self._spawn("session", self.run)

    def run(self) -> None:
        self._tell_replica_state()  # a kiosk with no replica yet starts up, refusing nobody
        self._apply(self.state, [Show(self._screen_now())])
        self._last_tick = self._last_status = self.clock.monotonic()
        self.notifier.ready("running")
        while not self._stop.is_set():
            try:
                self._run_once()
            except Exception:  # a kiosk on a wall must keep going; the log says what broke
                log.exception("the session loop hit an error; carrying on")
                self._stop.wait(self.settings.poll_interval)
            # only this loop keeps systemd's watchdog fed: if it hangs, the kiosk is restarted
            self.notifier.alive()

    def _run_once(self) -> None:
        try:
            raw = self._inputs.get(timeout=self.settings.poll_interval)
        except queue.Empty:
            raw = None
        if raw is not None:
            self.handle(self._resolve(raw))
        if self.devices.display is not None:
            for action in self.devices.display.poll_actions():
                self._ui_action(action)
        if self.devices.indicator is not None:
            self.devices.indicator.tick()  # back to ready/offline after a scan's blink
        mono = self.clock.monotonic()
        if mono - self._last_tick >= self.settings.tick_interval:
            self._last_tick = mono
            self.handle(Tick())
            self._refresh_idle_clock()
            self._watch_door()
            self._watch_camera(mono)
            self._report_health()
        if mono - self._last_ack_check >= self.settings.ack_check_interval:
            self._last_ack_check = mono
            self._check_acks(mono)
        if mono - self._last_status >= self.settings.status_interval:
            self._last_status = mono
            self._clock_check.set()  # the heartbeat also asks again whether the clock is synced
            if self.link is not None:
                self.link.publish_status()

    def _watch_door(self) -> None:
        """Relock on time; while the door is held open too long, sound the alarm and ask on
        screen for it to be closed."""
        if self.devices.door is not None:
            self.devices.door.tick()
        sensor, indicator = self.devices.door_sensor, self.devices.indicator
        if sensor is None or sensor.held_open == self._alarming:
            return
        self._alarming = sensor.held_open
        if self._alarming:
            log.warning("the cage door is held open")
        else:
            log.info("the cage door is shut again")
        if indicator is not None:
            if self._alarming:
                indicator.beep("alarm")
            else:
                indicator.stop_alarm()
        self.handle(DoorAlarm(self._alarming))

    def _refresh_idle_clock(self) -> None:
        """The idle screen shows the time: redraw it when the minute changes."""
        shown = self.screen
        if isinstance(shown, IdleScreen) and shown.now.minute != self.clock.now().minute:
            self._show(self._screen_now())

    def request_stop(self) -> None:
        """Ask the session loop to end (safe from a signal handler)."""
        self._stop.set()

    def stop(self) -> None:
        self.notifier.stopping()
        self._stop.set()
        self._clock_check.set()
        for t in self._threads:
            t.join(timeout=5)
        with self._camera_lock:
            cameras = list(self._camera_threads)
        for t in cameras:
            t.join(timeout=1)  # one stuck in a capture that never returns is left behind
        if self.devices.codes is not None:
            try:
                self.devices.codes.stop()
            except Exception:
                log.exception("camera: could not stop it")
        if self.link is not None:
            self.link.stop()
        if self.devices.indicator is not None:
            self.devices.indicator.close()
        if self.devices.display is not None:
            self.devices.display.close()
        for device in (self.devices.door, self.devices.door_sensor, self.devices.button):
            if device is not None:
                device.close()  # the lock closes locked
        for closer in self.devices.extra_closers:
            closer()
        self.outbox.close()

    # inputs --------------------------------------------------------------------------------

    def submit(self, inp: Input) -> None:
        """Queue an input from any thread; the session thread handles it."""
        self._inputs.put(inp)

    def press(self) -> None:
        """The physical button: confirms the cart, from gpiozero's callback thread."""
        self.submit(Confirm())

    def tap(self, uid: str) -> None:
        """A badge's UID read by a reader (any thread); resolved on the session thread. A UID
        no card can have (``wire.badges``) is a misread, dropped here, so it can never be
        enrolled nor sent to the hub."""
        try:
            uid = normal_uid(uid)
        except BadUid as exc:
            log.warning("badge read ignored: %s", exc)
            return
        self._inputs.put(_BadgeRead(uid))

    def scan(self, text: str) -> None:
        """A QR text read by a camera (any thread); resolved on the session thread."""
        self._inputs.put(_CodeRead(text))

    def _resolve(self, raw: Input | _BadgeRead | _CodeRead) -> Input:
        if isinstance(raw, _BadgeRead):
            return self.badge(raw.uid)
        if isinstance(raw, _CodeRead):
            return self.label(raw.text)
        return raw

    def badge(self, uid: str) -> BadgeTapped:
        """Who the badge belongs to and what they hold, from one whole replica."""
        replica = self.replica.view()
        person = replica.person_by_badge(uid)
        loans = (
            ()
            if person is None
            else tuple(
                Loan(
                    item.code,
                    item.name,
                    held.due,
                    category=item.category,
                    renewals=held.renewals,
                    booked_from=min(
                        (b.starts for b in item.bookings if b.person != person.id), default=None
                    ),
                    kit=replica.kit_of(item.code),
                )
                for item, held in replica.loans_of(person.id)
            )
        )
        reserved = () if person is None else replica.reservations_of(person.id)
        return BadgeTapped(uid.upper(), person, loans, reserved)

    def label(self, raw: str) -> LabelScanned:
        try:
            code = parse_label(raw)
        except LabelError as exc:
            return LabelScanned(raw, None, None, str(exc))
        return LabelScanned(raw, code, self.replica.item(code))

    def handle(self, inp: Input) -> list[Effect]:
        """Run one input through the session and carry out its effects (session thread only)."""
        now = self.clock.now()
        settings = self._session_settings()
        new, effects = step(self.state, inp, now, settings)
        self._apply(new, effects)
        if isinstance(inp, ConnectivityChanged) and self.devices.indicator is not None:
            self.devices.indicator.show("ready" if inp.online else "offline")
        return effects

    def _ui_action(self, action: UiAction) -> None:
        """A tap on the screen, as the session's input (kiosk.session.ui_input names them all);
        the code typed on the on-screen keyboard is looked up like a scanned label."""
        from kiosk.session import typed_label, ui_input

        match action.action:
            case "confirm":
                self.handle(Confirm())
            case "cancel" | "done":
                self.handle(Cancel())
            case "remove" if action.code:
                self.handle(RemoveItem(action.code))
            case "condition" if action.code:
                self.handle(CycleCondition(action.code))
            case "unlock":
                self.handle(UnlockDoor())
            case "enroll":
                self.handle(StartEnroll())
            case "stocktake":
                self.handle(StartStocktake())
            case "extend" if action.code:
                self.handle(ExtendLoan(action.code))
            case "quit":
                self._stop.set()
            case "enter" if self.state.pin is not None:
                self.handle(PinEnter())
            case "enter":
                if self.state.typing:
                    self.handle(self.label(typed_label(self.state.typing)))
            case _:
                inp = ui_input(action.action, action.code)
                if inp is not None:
                    self.handle(inp)

    # device threads ------------------------------------------------------------------------

    def _pump_badges(self) -> None:
        """The reader's thread: queues each UID read. Whatever goes wrong is reported and the
        reader is tried again after a pause that grows while the failure lasts."""
        backoff = _Backoff(self.settings.retry_first, self.settings.retry_max)
        while not self._stop.is_set():
            try:
                reader = self._reader()
                while not self._stop.is_set():
                    uid = reader.poll()
                    if getattr(reader, "healthy", True):
                        self._trouble(Device.READER, None)
                        backoff.reset()
                    else:  # a reader that retries by itself (BadgeReader) says why it waits
                        why = getattr(reader, "last_error", None) or "not answering"
                        self._trouble(Device.READER, str(why))
                    if uid is not None:
                        self.tap(uid)
                    self._stop.wait(self.settings.poll_interval)
            except Exception as exc:
                self._device_failed(Device.READER, exc)
                self._stop.wait(backoff.next())

    def _reader(self) -> BadgeSource:
        if self.devices.badges is None:
            assert self.devices.open_badges is not None
            self.devices.badges = self.devices.open_badges()
            log.info("badge reader: opened")
        return self.devices.badges

    def _start_camera_thread(self, reopen: bool) -> None:
        """Start a camera thread that supersedes any before it (one stuck in a capture that
        never returns is left behind; it ends by itself if the capture ever does)."""
        with self._camera_lock:
            self._camera_threads = [t for t in self._camera_threads if t.is_alive()]
            if len(self._camera_threads) >= _MAX_CAMERA_THREADS:
                stuck = len(self._camera_threads)
                log.error("camera: %d threads are stuck in it; not trying again", stuck)
                return
            self._camera_generation += 1
            generation = self._camera_generation
            thread = threading.Thread(
                target=self._pump_codes,
                args=(generation, reopen),
                name=f"camera-{generation}",
                daemon=True,
            )
            self._camera_threads.append(thread)
        thread.start()

    def _camera_current(self, generation: int) -> bool:
        return generation == self._camera_generation and not self._stop.is_set()

    def _pump_codes(self, generation: int, reopen: bool) -> None:
        """A camera thread: starts the camera and queues each text it decodes. Whatever goes
        wrong is reported and the camera is stopped and started again after a pause that grows
        while the failure lasts; a newer thread taking over ends this one."""
        backoff = _Backoff(self.settings.retry_first, self.settings.retry_max)
        started = False
        if reopen:  # the thread before is stuck in a capture: stopping the camera may free it
            self._expect_frames(True)
            self._stop_camera()
            with self._camera_lock:
                before = [t for t in self._camera_threads if t is not threading.current_thread()]
            pause = backoff.next()
            for thread in before:  # let a freed one leave before the camera starts again
                thread.join(timeout=pause)
            self._stop.wait(pause)
        while self._camera_current(generation):
            try:
                scanner = self._scanner()
                if not started:
                    self._expect_frames(True)
                    scanner.start()
                    started = True
                texts = scanner.poll()
                if not self._camera_current(generation):
                    return  # superseded while in the capture: the camera is the new thread's
                with self._camera_lock:
                    self._camera_polls += 1
                if self._note_camera_progress(scanner) and getattr(scanner, "healthy", True):
                    self._trouble(Device.CAMERA, None)
                    backoff.reset()
                for text in texts:
                    self.scan(text)
                if not texts:
                    self._stop.wait(self.settings.poll_interval / 2)
            except Exception as exc:
                if not self._camera_current(generation):
                    return
                self._expect_frames(False)
                self._device_failed(Device.CAMERA, exc)
                if started:
                    started = False
                    self._stop_camera()
                self._stop.wait(backoff.next())

    def _scanner(self) -> CodeSource:
        if self.devices.codes is None:
            assert self.devices.open_codes is not None
            self.devices.codes = self.devices.open_codes()
            log.info("camera: opened")
        return self.devices.codes

    def _stop_camera(self) -> None:
        codes = self.devices.codes
        if codes is None:
            return
        try:
            codes.stop()
        except Exception as exc:
            log.warning("camera: could not stop it: %s", _problem(exc))

    def _expect_frames(self, expected: bool) -> None:
        """From now on the camera should (or need not) deliver frames; the watchdog's time
        starts again either way, so a camera being started gets the whole grace period."""
        with self._camera_lock:
            self._camera_expected = expected
            self._camera_progress_at = self.clock.monotonic()

    def _note_camera_progress(self, scanner: CodeSource) -> bool:
        """Whether the camera delivered a frame since last asked: by the driver's own
        ``last_frame_at`` when it keeps one, else by a capture (``poll``) having returned.
        The value is only compared, never subtracted, so any clock may have made it."""
        with self._camera_lock:
            mark = getattr(scanner, "last_frame_at", None)
            if mark is None:
                mark = self._camera_polls
            if mark == self._camera_mark:
                return False
            self._camera_mark = mark
            self._camera_progress_at = self.clock.monotonic()
            self._camera_suspect = False
            return True

    def _watch_camera(self, now: float) -> None:
        """The frame watchdog (session thread): a camera that should deliver frames and has
        not for ``frame_stall_after`` seconds is reported and reopened on a new thread, since
        the one before may be stuck in a capture that never returns."""
        scanner = self.devices.codes
        if scanner is None or not self._camera_expected:
            return
        self._note_camera_progress(scanner)
        with self._camera_lock:
            silent = now - self._camera_progress_at
            # it must still be silent at the next look: a clock that jumped (as tests' do)
            # between two frames is not a stall
            suspected, self._camera_suspect = (
                self._camera_suspect,
                silent >= self.settings.frame_stall_after,
            )
        if not (suspected and self._camera_suspect):
            return
        self._camera_suspect = False
        log.error("camera: no frame for %.0f s; opening it again", silent)
        self._trouble(Device.CAMERA, f"no frame for {silent:.0f} s (stalled); reopening it")
        self._expect_frames(False)
        self._start_camera_thread(reopen=True)

    def _device_failed(self, device: Device, exc: BaseException) -> None:
        """Log and report a device thread's failure; never raises, so the thread goes on."""
        try:
            name = _DEVICE_NAMES[device]
            if isinstance(exc, DriverError):
                log.error("%s: %s", name, exc)
            else:
                log.error("%s: unexpected failure; trying it again", name, exc_info=exc)
            self._trouble(device, _problem(exc))
        except Exception:
            log.exception("could not report a %s failure", device.value)

    def _trouble(self, device: Device, problem: str | None) -> None:
        """Note that a device fails (``problem``) or works (None); the session and the hub
        hear of each change from working to failing and back at once."""
        name = _DEVICE_NAMES[device]
        problem = problem[:180] if problem is not None else None  # the status allows 200
        with self._health_lock:
            before = self._troubles.get(device)
            if problem is None:
                if before is None:
                    return
                del self._troubles[device]
            else:
                self._troubles[device] = problem
            self.devices.faults.pop(name, None)  # its start-up failure is this one now
        if (before is None) != (problem is None):
            if problem is None:
                log.info("%s: working again", name)
            self.submit(DeviceTrouble(device, problem))
        self._report_health()

    # effects -------------------------------------------------------------------------------

    def _apply(self, new: State, effects: list[Effect]) -> None:
        records = [effect for effect in effects if isinstance(effect, Record)]
        if records:
            try:
                self._record(records)
            except OutboxError as exc:
                log.error("could not record %s: %s", ", ".join(r.type for r in records), exc)
                new = self._storage_failure(new)
                effects = [Feedback(Signal.ERROR), Show(self._failure_screen(new))]
        self.state = new
        self._lockouts.save(new.lockouts)
        for effect in effects:
            if isinstance(effect, Show):
                self._show(effect.screen)
            elif isinstance(effect, Unlock):
                if self.devices.door is not None:
                    self.devices.door.unlock(effect.seconds)
                else:
                    log.warning("door unlock asked for, but no door lock is fitted")
            elif isinstance(effect, Feedback) and self.devices.indicator is not None:
                pattern, tone = _SIGNALS[effect.signal]
                self.devices.indicator.show(pattern)
                self.devices.indicator.beep(tone)

    def _record(self, records: list[Record]) -> None:
        """Store one input's events together: all of a confirmed cart, or nothing."""
        many: list[dict[str, object]] = [
            {
                "type": rec.type,
                "session": rec.session,
                "badge": rec.badge,
                "person": rec.person,
                "asset": rec.asset,
                "due": rec.due,
                "reason": rec.reason,
                "detail": rec.detail,
                "condition": rec.condition,
                "clock_synced": self.clock_synced,
            }
            for rec in records
        ]
        # the whole cart reaches the replica at once: one new view, never half a cart
        self.replica.record_all(self.outbox.append_all(many, self.clock.now()))
        if self.link is not None:
            self.link.kick()

    def _storage_failure(self, state: State) -> State:
        return State(
            mode=Mode.DENIED,
            offline=state.offline,
            door_alarm=state.door_alarm,
            lockouts=state.lockouts,  # a lockout holds even when it could not be recorded
            denial=("Could not save", "Nothing was recorded. Please see staff."),
            expires=self.clock.now() + self.settings.session.linger,
        )

    def _failure_screen(self, state: State) -> DeniedScreen:
        assert state.denial is not None
        return DeniedScreen(state.denial[0], state.denial[1], state.offline)

    def _show(self, screen: Screen) -> None:
        if self.devices.display is not None:
            self.devices.display.show(screen)
        if self.on_screen is not None:
            self.on_screen(screen)
        with self._changed:
            self.screen = screen
            self.screens_shown += 1
            self._changed.notify_all()

    def wait_for_screen(self, predicate: Callable[[Screen], bool], timeout: float) -> Screen:
        """Block until the shown screen satisfies ``predicate`` (for tests and the demo)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.screen is None or not predicate(self.screen):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"screen never matched; last was {self.screen!r}")
                self._changed.wait(left)
            return self.screen

    # session settings and status -----------------------------------------------------------

    def _session_settings(self) -> Settings:
        """The configured session settings with the hub's current rules from the replica."""
        return replace(self.settings.session, policy=self.replica.policy)

    def _screen_now(self) -> Screen:
        return screen_for(self.state, self._session_settings(), self.clock.now())

    def _take_replica(self, payload: bytes) -> None:
        if self.replica.apply_snapshot(payload, self.outbox.pending_seqs()):
            log.info("replica version %s", self.replica.version)
            self._tell_replica_state()
            with self._changed:
                self._changed.notify_all()

    def _take_replica_delta(self, payload: bytes) -> None:
        if self.replica.apply_delta(payload, self.outbox.pending_seqs()):
            log.debug("replica version %s (delta)", self.replica.version)
            with self._changed:
                self._changed.notify_all()

    def wait_replica(
        self, timeout: float, newer_than: int = 0, until: Callable[[Replica], bool] | None = None
    ) -> int:
        """Block until a replica snapshot newer than ``newer_than`` is in (and ``until`` holds
        for the replica, if given); returns its version."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.replica.version <= newer_than or (until and not until(self.replica)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no replica snapshot arrived from the hub")
                self._changed.wait(left)
            return self.replica.version

    def faults(self) -> list[str]:
        """What is not working, for the hub's kiosk page: devices that never started, and a
        reader or camera that is failing now (and how)."""
        with self._health_lock:
            found = [f"{what}: {why}" for what, why in self.devices.faults.items()]
            found += [f"{_DEVICE_NAMES[d]}: {why}" for d, why in self._troubles.items()]
        return [fault[:200] for fault in found[:10]]

    def _report_health(self) -> None:
        """Tell the hub as soon as a device fails or recovers, not at the next status round.

        Called from the pump threads too, which must outlive anything going wrong here."""
        try:
            self._publish_faults()
        except Exception:
            log.exception("could not report the devices' health")

    def _publish_faults(self) -> None:
        faults = self.faults()
        with self._health_lock:
            if faults == self._reported_faults:
                return
            self._reported_faults = faults
        if faults:
            log.warning("not working: %s", "; ".join(faults))
        self.notifier.status("not working: " + "; ".join(faults) if faults else "running")
        if self.link is not None:
            self.link.publish_status()

    def _status(self, state: KioskState) -> KioskStatus:
        if state is KioskState.OFFLINE:
            return KioskStatus(kiosk=self.settings.kiosk_id, state=state)
        return KioskStatus(
            kiosk=self.settings.kiosk_id,
            state=state,
            at=self.clock.now(),
            version=__version__,
            profile=self.settings.session.profile.value,
            outbox=self.outbox.depth(),
            replica=self.replica.version,
            uptime_s=int(self.clock.monotonic() - self._started_at),
            faults=self.faults(),
            clock_synced=self.clock_synced,
            acks_overdue=self._acks_overdue[0],
            acks_overdue_since=self._acks_overdue[1],
        )

    def _check_acks(self, now: float) -> None:
        """Warn (on screen and to the hub) when events wait too long for the hub's ack while
        the hub is reachable, and say so again when they are caught up (session thread)."""
        if self.link is None:
            return  # no hub to acknowledge anything: nothing is late
        reachable = self.link.connected and self.link.hub_online
        count, oldest = self._ack_watch.check(self.outbox.waiting(), reachable, now)
        if count == self._acks_overdue[0]:
            self._acks_overdue = (count, oldest)
            return
        self._acks_overdue = (count, oldest)
        if count:
            log.warning(
                "%d event(s) unacknowledged for over %.0f s while the hub was reachable "
                "(oldest recorded %s): is the kiosk's signing key the one the hub holds?",
                count,
                self.settings.ack_overdue_after,
                oldest.isoformat() if oldest else "?",
            )
        else:
            log.info("every event the hub was sent is acknowledged again")
        self.handle(AcksOverdue(count, oldest))
        self.link.publish_status()

    def _tell_replica_state(self) -> None:
        """Tell the session it has no replica from the hub yet (at start), and then when the
        first one arrives (from the link thread: it goes through the queue)."""
        with self._replica_lock:
            ready = self.replica.ready
            if self._replica_told is None:  # at start
                self._replica_told = ready
                if not ready:
                    self.submit(ReplicaState(False))
            elif ready and not self._replica_told:
                self._replica_told = True
                self.submit(ReplicaState(True))

    def _watch_clock(self) -> None:
        """Ask whether the clock is synced when the heartbeat says so; timedatectl may take a
        while, and the session thread must not wait for it."""
        while True:
            self._clock_check.wait()
            self._clock_check.clear()
            if self._stop.is_set():
                return
            self._check_clock()

    def _check_clock(self) -> None:
        """Tell the hub at once when the clock becomes synced (or stops being)."""
        assert self._clock_sync is not None
        try:
            synced = self._clock_sync.synced()
        except Exception:
            log.exception("could not tell whether the clock is synced")
            synced = None
        if synced == self.clock_synced:
            return
        self.clock_synced = synced
        if synced is False:
            log.warning("the clock is not synchronised (NTP); event times may be wrong")
        else:
            log.info("clock synchronised: %s", "yes" if synced else "unknown")
        if self.link is not None:
            self.link.publish_status()

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(t)
        t.start()
