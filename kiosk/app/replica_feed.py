"""The hub's replica snapshots and deltas as they arrive on the link's thread: applied to the
kiosk's replica, waited for by whoever needs a given version, and told to the session once (it
refuses nobody until the first one is in)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kiosk.outbox import Outbox
from kiosk.replica import Replica
from kiosk.session import Input, ReplicaState

log = logging.getLogger(__name__)


class ReplicaFeed:
    def __init__(self, replica: Replica, outbox: Outbox, submit: Callable[[Input], None]) -> None:
        self._replica, self._outbox, self._submit = replica, outbox, submit
        self._changed = threading.Condition()
        self._lock = threading.Lock()
        self._told: bool | None = None  # the ReplicaState the session was last given

    def take_snapshot(self, payload: bytes) -> None:
        if self._replica.apply_snapshot(payload, self._outbox.pending_seqs()):
            log.info("replica version %s", self._replica.version)
            self.tell_session()
            with self._changed:
                self._changed.notify_all()

    def take_delta(self, payload: bytes) -> None:
        if self._replica.apply_delta(payload, self._outbox.pending_seqs()):
            log.debug("replica version %s (delta)", self._replica.version)
            with self._changed:
                self._changed.notify_all()

    def wait(
        self, timeout: float, newer_than: int = 0, until: Callable[[Replica], bool] | None = None
    ) -> int:
        """Block until a replica newer than ``newer_than`` is in (and ``until`` holds for the
        replica, if given); returns its version."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._replica.version <= newer_than or (until and not until(self._replica)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no replica snapshot arrived from the hub")
                self._changed.wait(left)
            return self._replica.version

    def tell_session(self) -> None:
        """Tell the session it has no replica from the hub yet (at start), and then when the
        first one arrives (from the link thread: it goes through the queue)."""
        with self._lock:
            ready = self._replica.ready
            if self._told is None:  # at start
                self._told = ready
                if not ready:
                    self._submit(ReplicaState(False))
            elif ready and not self._told:
                self._told = True
                self._submit(ReplicaState(True))
