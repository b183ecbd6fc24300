"""A short-lived cache for expensive pages (reports), computed once even under concurrent
requests, by the injected clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any


class TtlCache:
    def __init__(self, clock: Callable[[], datetime], ttl: timedelta) -> None:
        self._clock = clock
        self._ttl = ttl
        self._values: dict[Hashable, tuple[datetime, Any]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def refresh(self, key: Hashable, compute: Callable[[], Any]) -> None:
        """Compute now and keep it (a background warm-up), whatever is cached."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            self._values[key] = (self._clock() + self._ttl, compute())

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one computation per key; the others wait for its result
            now = self._clock()
            hit = self._values.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
            value = compute()
            self._values[key] = (now + self._ttl, value)
            if len(self._values) > 64:
                for stale in [k for k, (until, _v) in self._values.items() if until <= now]:
                    self._values.pop(stale, None)
            return value
