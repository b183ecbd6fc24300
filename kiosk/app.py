"""The kiosk application: drivers feed the session, the session's effects drive the outputs.

One thread owns the session and the display; device threads only put inputs on a queue, so the
UI never waits on the reader, the camera or the network.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from kiosk import __version__
from kiosk.clock import Clock
from kiosk.errors import DriverError, OutboxError
from kiosk.link import BrokerSettings, KioskLink
from kiosk.outbox import Outbox
from kiosk.replica import Replica
from kiosk.screens import DeniedScreen, IdleScreen, Loan, Screen
from kiosk.session import (
    BadgeTapped,
    Cancel,
    Confirm,
    ConnectivityChanged,
    CycleCondition,
    DoorAlarm,
    Effect,
    ExtendLoan,
    Feedback,
    Input,
    LabelScanned,
    Mode,
    Record,
    RemoveItem,
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
from kiosk.timesync import ClockSync
from wire import KioskState, KioskStatus, LabelError, parse_label

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
    ) -> None:
        self.settings = settings
        self.devices = devices
        self.clock = clock
        # whether NTP has set the wall clock (None: unknown); asked off the session thread
        self._clock_sync = clock_sync
        self.clock_synced: bool | None = None
        self._clock_check = threading.Event()
        self.outbox = Outbox(settings.data_dir / "outbox.db", settings.kiosk_id, settings.key)
        self.replica = Replica(settings.data_dir / "replica.db", settings.kiosk_id)
        # offline until the hub says it is there: a kiosk booting without a network says so
        self.state = State(offline=settings.broker is not None)
        self.screen: Screen | None = None
        self.screens_shown = 0
        self._inputs: queue.Queue[Input] = queue.Queue()
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started_at = clock.monotonic()
        self.on_screen: Callable[[Screen], None] | None = None
        self._alarming = False
        self._health_lock = threading.Lock()
        self._reported_faults: list[str] = []
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
        if self.devices.badges is not None:
            self._spawn("badge-reader", self._pump_badges)
        if self.devices.codes is not None:
            try:
                self.devices.codes.start()
            except DriverError as exc:
                log.error("camera: %s; running without it", exc)
                self.devices.faults["camera"] = str(exc)
            else:
                self._spawn("camera", self._pump_codes)
        if self.devices.indicator is not None:
            self.devices.indicator.show("offline" if self.state.offline else "ready")

    def start_in_background(self) -> None:
        self.start()
        self._spawn("session", self.run)

    def run(self) -> None:
        self._apply(self.state, [Show(self._screen_now())])
        self._last_tick = self._last_status = self.clock.monotonic()
        while not self._stop.is_set():
            try:
                self._run_once()
            except Exception:  # a kiosk on a wall must keep going; the log says what broke
                log.exception("the session loop hit an error; carrying on")
                self._stop.wait(self.settings.poll_interval)

    def _run_once(self) -> None:
        try:
            inp = self._inputs.get(timeout=self.settings.poll_interval)
        except queue.Empty:
            inp = None
        if inp is not None:
            self.handle(inp)
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
            self._report_health()
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
        self._stop.set()
        self._clock_check.set()
        for t in self._threads:
            t.join(timeout=5)
        if self.devices.codes is not None:
            self.devices.codes.stop()
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

    def badge(self, uid: str) -> BadgeTapped:
        person = self.replica.person_by_badge(uid)
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
                )
                for item, held in self.replica.loans_of(person.id)
            )
        )
        return BadgeTapped(uid.upper(), person, loans)

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

    def _pump_badges(self) -> None:
        assert self.devices.badges is not None
        while not self._stop.is_set():
            try:
                uid = self.devices.badges.poll()
            except DriverError as exc:
                log.error("badge reader: %s", exc)
                self._report_health()
                self._stop.wait(1.0)
                continue
            if uid is not None:
                self.submit(self.badge(uid))
            self._stop.wait(self.settings.poll_interval)

    def _pump_codes(self) -> None:
        assert self.devices.codes is not None
        while not self._stop.is_set():
            try:
                codes = self.devices.codes.poll()
            except DriverError as exc:
                log.error("camera: %s", exc)
                self._report_health()
                self._stop.wait(1.0)
                continue
            for raw in codes:
                self.submit(self.label(raw))
            if not codes:
                self._stop.wait(self.settings.poll_interval / 2)

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
        for event in self.outbox.append_all(many, self.clock.now()):
            self.replica.record_local(event)
        if self.link is not None:
            self.link.kick()

    def _storage_failure(self, state: State) -> State:
        return State(
            mode=Mode.DENIED,
            offline=state.offline,
            door_alarm=state.door_alarm,
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
        reader or camera that has stopped answering."""
        found = [f"{what}: {why}" for what, why in list(self.devices.faults.items())]
        for what, device in (("badge reader", self.devices.badges), ("camera", self.devices.codes)):
            if device is not None and not getattr(device, "healthy", True):
                found.append(f"{what}: {getattr(device, 'last_error', None) or 'not working'}")
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
        )

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
