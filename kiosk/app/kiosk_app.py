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
from collections.abc import Callable
from dataclasses import replace

from kiosk.app import effects
from kiosk.app.door import DoorWatch
from kiosk.app.health import DEVICE_NAMES, DeviceHealth
from kiosk.app.pumps import BadgePump, CameraPump
from kiosk.app.reads import BadgeRead, CodeRead, badge_tapped, label_scanned, tap_input
from kiosk.app.replica_feed import ReplicaFeed
from kiosk.app.settings import AppSettings
from kiosk.app.status import StatusReport
from kiosk.app.watches import ClockWatch, OverdueAcks
from kiosk.clock import Clock
from kiosk.devices import Devices, Tap
from kiosk.errors import OutboxError
from kiosk.link import KioskLink
from kiosk.lockout_file import LockoutFile
from kiosk.outbox import Outbox
from kiosk.replica import Replica
from kiosk.screens import IdleScreen, Screen
from kiosk.session import (
    AcksOverdue,
    BadgeTapped,
    Confirm,
    ConnectivityChanged,
    DeviceTrouble,
    Effect,
    Input,
    LabelScanned,
    Record,
    Settings,
    Show,
    State,
    Tick,
    screen_for,
    step,
)
from kiosk.systemd import ServiceNotifier
from kiosk.timesync import ClockSync
from kiosk.vocabulary import Action, Pattern
from wire.badges import BadUid, normal_uid

log = logging.getLogger(__name__)


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
        self._stop = threading.Event()
        # whether NTP has set the wall clock; asked off the session thread
        self._clock_watch = (
            ClockWatch(clock_sync, self._stop, self._publish_status)
            if clock_sync is not None
            else None
        )
        self.outbox = Outbox(settings.data_dir / "outbox.db", settings.kiosk_id, settings.key)
        self.replica = Replica(settings.data_dir / "replica.db", settings.kiosk_id)
        # wrong door PINs and lockouts outlive a restart
        self._lockouts = LockoutFile(settings.data_dir / "pin-lockouts.json")
        # offline until the hub says it is there: a kiosk booting without a network says so
        self.state = State(offline=settings.broker is not None, lockouts=self._lockouts.load())
        self.screen: Screen | None = None
        self._inputs: queue.Queue[Input | BadgeRead | CodeRead] = queue.Queue()
        self._changed = threading.Condition()
        self._threads: list[threading.Thread] = []
        self.on_screen: Callable[[Screen], None] | None = None
        self._door = DoorWatch(devices, self.handle)
        self._health = DeviceHealth(
            devices.faults,
            on_change=lambda device, problem: self.submit(DeviceTrouble(device, problem)),
            publish=self._publish_faults,
        )
        self._badges = BadgePump(devices, settings, self._health, self._stop, self.tap)
        self._camera = CameraPump(
            devices, settings, self._health, self._stop, clock.monotonic, self.scan
        )
        self._replica_feed = ReplicaFeed(self.replica, self.outbox, self.submit)
        self._acks = OverdueAcks(settings.ack_overdue_after)
        status = StatusReport(
            settings,
            clock,
            self.outbox,
            self.replica,
            self._health,
            self._acks,
            lambda: self.clock_synced,
        )
        self._last_ack_check = clock.monotonic()
        self._last_tick = self._last_status = 0.0
        self.link: KioskLink | None = None
        if settings.broker is not None:
            self.link = KioskLink(
                settings.broker,
                self.outbox,
                settings.key,
                status.report,
                on_replica=self._take_replica,
                on_replica_delta=self._take_replica_delta,
                on_online=lambda online: self.submit(ConnectivityChanged(online)),
                monotonic=clock.monotonic,
                utcnow=clock.now,
            )

    @property
    def clock_synced(self) -> bool | None:
        """Whether NTP has set the wall clock (None: unknown or not asked)."""
        return None if self._clock_watch is None else self._clock_watch.synced

    # lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start device threads and the link; the session loop runs in ``run`` or a thread."""
        if self._clock_watch is not None:
            self._clock_watch.check()  # before connecting, so the first status says it already
            self._spawn("clock-sync", self._clock_watch.run)
        if self.link is not None:
            self.link.start()
        for device, name in DEVICE_NAMES.items():
            if name in self.devices.faults:  # could not be opened: the session shows it too
                self._health.trouble(device, self.devices.faults[name])
        if self.devices.badges is not None or self.devices.open_badges is not None:
            self._spawn("badge-reader", self._badges.run)
        if self.devices.codes is not None or self.devices.open_codes is not None:
            self._camera.start_thread(reopen=False)
        if self.devices.indicator is not None:
            self.devices.indicator.show(Pattern.OFFLINE if self.state.offline else Pattern.READY)

    def start_in_background(self) -> None:
        self.start()
        self._spawn("session", self.run)

    def run(self) -> None:
        self._replica_feed.tell_session()  # a kiosk with no replica yet starts up, refusing nobody
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
            for tap in self.devices.display.poll_actions():
                self._tapped(tap)
        if self.devices.indicator is not None:
            self.devices.indicator.tick()  # back to ready/offline after a scan's blink
        mono = self.clock.monotonic()
        if mono - self._last_tick >= self.settings.tick_interval:
            self._last_tick = mono
            self.handle(Tick())
            self._refresh_idle_clock()
            self._door.check()
            self._camera.watch(mono)
            self._health.report()
        if mono - self._last_ack_check >= self.settings.ack_check_interval:
            self._last_ack_check = mono
            self._check_acks(mono)
        if mono - self._last_status >= self.settings.status_interval:
            self._last_status = mono
            if self._clock_watch is not None:  # the heartbeat asks again whether it is synced
                self._clock_watch.ask()
            if self.link is not None:
                self.link.publish_status()

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
        if self._clock_watch is not None:
            self._clock_watch.ask()  # wakes its thread, which sees the stop
        for t in self._threads:
            t.join(timeout=5)
        self._camera.join(timeout=1)  # one stuck in a capture that never returns is left
        if self.link is not None:
            self.link.stop()
        self.devices.close()
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
        self._inputs.put(BadgeRead(uid))

    def scan(self, text: str) -> None:
        """A QR text read by a camera (any thread); resolved on the session thread."""
        self._inputs.put(CodeRead(text))

    def _resolve(self, raw: Input | BadgeRead | CodeRead) -> Input:
        if isinstance(raw, BadgeRead):
            return self.badge(raw.uid)
        if isinstance(raw, CodeRead):
            return self.label(raw.text)
        return raw

    def badge(self, uid: str) -> BadgeTapped:
        """Who the badge belongs to and what they hold, from one whole replica."""
        return badge_tapped(self.replica, uid)

    def label(self, raw: str) -> LabelScanned:
        return label_scanned(self.replica, raw)

    def handle(self, inp: Input) -> list[Effect]:
        """Run one input through the session and carry out its effects (session thread only)."""
        now = self.clock.now()
        settings = self._session_settings()
        new, done = step(self.state, inp, now, settings)
        self._apply(new, done)
        if isinstance(inp, ConnectivityChanged) and self.devices.indicator is not None:
            self.devices.indicator.show(Pattern.READY if inp.online else Pattern.OFFLINE)
        return done

    def _tapped(self, tap: Tap) -> None:
        """A tap on the screen; quitting is the app's, everything else the session's."""
        if tap.action == Action.QUIT:
            self._stop.set()
            return
        inp = tap_input(tap, self.state, self.label)
        if inp is not None:
            self.handle(inp)

    # effects -------------------------------------------------------------------------------

    def _apply(self, new: State, done: list[Effect]) -> None:
        records = [effect for effect in done if isinstance(effect, Record)]
        if records:
            try:
                effects.record(
                    records, self.outbox, self.replica, self.clock.now(), self.clock_synced
                )
            except OutboxError as exc:
                log.error("could not record %s: %s", ", ".join(r.type for r in records), exc)
                new = effects.storage_failure(new, self.clock.now(), self.settings.session.linger)
                done = effects.failure_effects(new)
            else:
                if self.link is not None:
                    self.link.kick()
        self.state = new
        self._lockouts.save(new.lockouts)
        effects.drive(done, self.devices, self._show)

    def _show(self, screen: Screen) -> None:
        if self.devices.display is not None:
            self.devices.display.show(screen)
        if self.on_screen is not None:
            self.on_screen(screen)
        with self._changed:
            self.screen = screen
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

    # replica, status and health ------------------------------------------------------------

    def _session_settings(self) -> Settings:
        """The configured session settings with the hub's current rules from the replica."""
        return replace(self.settings.session, policy=self.replica.policy)

    def _screen_now(self) -> Screen:
        return screen_for(self.state, self._session_settings(), self.clock.now())

    def _take_replica(self, payload: bytes) -> None:
        self._replica_feed.take_snapshot(payload)

    def _take_replica_delta(self, payload: bytes) -> None:
        self._replica_feed.take_delta(payload)

    def wait_replica(
        self, timeout: float, newer_than: int = 0, until: Callable[[Replica], bool] | None = None
    ) -> int:
        """Block until a replica snapshot newer than ``newer_than`` is in (and ``until`` holds
        for the replica, if given); returns its version."""
        return self._replica_feed.wait(timeout, newer_than, until)

    def faults(self) -> list[str]:
        """What is not working, for the hub's kiosk page: devices that never started, and a
        reader or camera that is failing now (and how)."""
        return self._health.faults()

    def _publish_faults(self, faults: list[str]) -> None:
        self.notifier.status("not working: " + "; ".join(faults) if faults else "running")
        self._publish_status()

    def _publish_status(self) -> None:
        if self.link is not None:
            self.link.publish_status()

    def _check_acks(self, now: float) -> None:
        """Warn (on screen and to the hub) when events wait too long for the hub's ack while
        the hub is reachable, and say so again when they are caught up (session thread)."""
        if self.link is None:
            return  # no hub to acknowledge anything: nothing is late
        reachable = self.link.connected and self.link.hub_online
        if self._acks.check(self.outbox.waiting(), reachable, now):
            self.handle(AcksOverdue(self._acks.count, self._acks.since))
            self.link.publish_status()

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(t)
        t.start()
