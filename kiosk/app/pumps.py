"""The threads that read the badge reader and the camera: each queues what it reads for the
session thread and never waits on anything else, and whatever goes wrong with its device is
reported and tried again after a pause that grows while the failure lasts. The camera also has
a frame watchdog: a camera that stops delivering frames is reopened on a new thread, since the
one before may be stuck in a capture that never returns."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kiosk.app.health import Backoff, DeviceHealth, problem
from kiosk.app.settings import AppSettings
from kiosk.devices import CodeSource, Devices
from kiosk.session import Device

log = logging.getLogger(__name__)

MAX_CAMERA_THREADS = 4  # the current one and up to three left stuck in a capture


class BadgePump:
    """The reader's thread: queues each UID read (through ``tap``)."""

    def __init__(
        self,
        devices: Devices,
        settings: AppSettings,
        health: DeviceHealth,
        stop: threading.Event,
        tap: Callable[[str], None],
    ) -> None:
        self._devices, self._settings, self._health = devices, settings, health
        self._stop, self._tap = stop, tap

    def run(self) -> None:
        backoff = Backoff(self._settings.retry_first, self._settings.retry_max)
        while not self._stop.is_set():
            try:
                reader = self._devices.reader()
                while not self._stop.is_set():
                    uid = reader.poll()
                    if getattr(reader, "healthy", True):
                        self._health.trouble(Device.READER, None)
                        backoff.reset()
                    else:  # a reader that retries by itself (BadgeReader) says why it waits
                        why = getattr(reader, "last_error", None) or "not answering"
                        self._health.trouble(Device.READER, str(why))
                    if uid is not None:
                        self._tap(uid)
                    self._stop.wait(self._settings.poll_interval)
            except Exception as exc:
                self._health.failed(Device.READER, exc)
                self._stop.wait(backoff.next())


class CameraPump:
    """The camera's threads (one current; any before it may be stuck in a capture) and its
    frame watchdog, which the session thread runs with ``watch``."""

    def __init__(
        self,
        devices: Devices,
        settings: AppSettings,
        health: DeviceHealth,
        stop: threading.Event,
        monotonic: Callable[[], float],
        scan: Callable[[str], None],
    ) -> None:
        self._devices, self._settings, self._health = devices, settings, health
        self._stop, self._monotonic, self._scan = stop, monotonic, scan
        # which thread is current, whether the camera should be delivering frames, and when it
        # last made progress
        self._lock = threading.Lock()
        self._generation = 0
        self._threads: list[threading.Thread] = []
        self._expected = False
        self._polls = 0
        self._mark: object = None
        self._progress_at = monotonic()
        self._suspect = False  # silent too long at the watchdog's last look

    def start_thread(self, reopen: bool) -> None:
        """Start a camera thread that supersedes any before it (one stuck in a capture that
        never returns is left behind; it ends by itself if the capture ever does)."""
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            if len(self._threads) >= MAX_CAMERA_THREADS:
                stuck = len(self._threads)
                log.error("camera: %d threads are stuck in it; not trying again", stuck)
                return
            self._generation += 1
            generation = self._generation
            thread = threading.Thread(
                target=self._pump,
                args=(generation, reopen),
                name=f"camera-{generation}",
                daemon=True,
            )
            self._threads.append(thread)
        thread.start()

    def join(self, timeout: float) -> None:
        """Wait a little for each camera thread to end (one stuck in a capture is left)."""
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(timeout=timeout)

    def watch(self, now: float) -> None:
        """The frame watchdog (session thread): a camera that should deliver frames and has
        not for ``frame_stall_after`` seconds is reported and reopened on a new thread."""
        scanner = self._devices.codes
        if scanner is None or not self._expected:
            return
        self._note_progress(scanner)
        with self._lock:
            silent = now - self._progress_at
            # it must still be silent at the next look: a clock that jumped (as tests' do)
            # between two frames is not a stall
            suspected, self._suspect = (
                self._suspect,
                silent >= self._settings.frame_stall_after,
            )
        if not (suspected and self._suspect):
            return
        self._suspect = False
        log.error("camera: no frame for %.0f s; opening it again", silent)
        self._health.trouble(Device.CAMERA, f"no frame for {silent:.0f} s (stalled); reopening it")
        self._expect_frames(False)
        self.start_thread(reopen=True)

    def _current(self, generation: int) -> bool:
        return generation == self._generation and not self._stop.is_set()

    def _pump(self, generation: int, reopen: bool) -> None:
        """Start the camera and queue each text it decodes; a failure stops the camera and
        starts it again after a pause; a newer thread taking over ends this one."""
        backoff = Backoff(self._settings.retry_first, self._settings.retry_max)
        started = False
        if reopen:  # the thread before is stuck in a capture: stopping the camera may free it
            self._expect_frames(True)
            self._stop_camera()
            with self._lock:
                before = [t for t in self._threads if t is not threading.current_thread()]
            pause = backoff.next()
            for thread in before:  # let a freed one leave before the camera starts again
                thread.join(timeout=pause)
            self._stop.wait(pause)
        while self._current(generation):
            try:
                scanner = self._devices.scanner()
                if not started:
                    self._expect_frames(True)
                    scanner.start()
                    started = True
                texts = scanner.poll()
                if not self._current(generation):
                    return  # superseded while in the capture: the camera is the new thread's
                with self._lock:
                    self._polls += 1
                if self._note_progress(scanner) and getattr(scanner, "healthy", True):
                    self._health.trouble(Device.CAMERA, None)
                    backoff.reset()
                for text in texts:
                    self._scan(text)
                if not texts:
                    self._stop.wait(self._settings.poll_interval / 2)
            except Exception as exc:
                if not self._current(generation):
                    return
                self._expect_frames(False)
                self._health.failed(Device.CAMERA, exc)
                if started:
                    started = False
                    self._stop_camera()
                self._stop.wait(backoff.next())

    def _stop_camera(self) -> None:
        codes = self._devices.codes
        if codes is None:
            return
        try:
            codes.stop()
        except Exception as exc:
            log.warning("camera: could not stop it: %s", problem(exc))

    def _expect_frames(self, expected: bool) -> None:
        """From now on the camera should (or need not) deliver frames; the watchdog's time
        starts again either way, so a camera being started gets the whole grace period."""
        with self._lock:
            self._expected = expected
            self._progress_at = self._monotonic()

    def _note_progress(self, scanner: CodeSource) -> bool:
        """Whether the camera delivered a frame since last asked: by the driver's own
        ``last_frame_at`` when it keeps one, else by a capture (``poll``) having returned.
        The value is only compared, never subtracted, so any clock may have made it."""
        with self._lock:
            mark = getattr(scanner, "last_frame_at", None)
            if mark is None:
                mark = self._polls
            if mark == self._mark:
                return False
            self._mark = mark
            self._progress_at = self._monotonic()
            self._suspect = False
            return True
