"""Figures for expensive pages (reports), kept until the data they were read from changes.

Each entry remembers the mark of the data it was computed from (``Store.report_mark``), when
and how long it took. A request whose mark differs gets new figures at once when they are quick
to make; slow ones (a big ledger) are served as they were, marked stale, until a manager asks
for a refresh or the hub's background pass recomputes them. One computation per key runs at a
time; concurrent requests wait for its result.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

QUICK = timedelta(seconds=1)  # figures this fast are recomputed on the request that needs them
KEPT = 64  # entries (report periods) kept


@dataclass(frozen=True)
class Figures:
    value: Any
    mark: Hashable  # the data they were read from
    at: datetime  # when they were computed (the injected clock)
    took: float  # seconds the computation took
    stale: bool = False  # the data has changed since


class MarkedCache:
    def __init__(self, clock: Callable[[], datetime], quick: timedelta = QUICK) -> None:
        self._clock = clock
        self.quick = quick
        self._values: dict[Hashable, Figures] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(
        self, key: Hashable, mark: Hashable, compute: Callable[[], Any], fresh: bool = False
    ) -> Figures:
        """The figures for ``key``: the kept ones if the data is unchanged; else new ones when
        ``fresh`` is asked or the last computation was quick; else the kept ones, stale."""
        with self._lock(key):
            kept = self._values.get(key)
            if kept is not None and kept.mark == mark:
                return kept
            if kept is not None and not fresh and kept.took > self.quick.total_seconds():
                return Figures(kept.value, kept.mark, kept.at, kept.took, stale=True)
            return self._compute(key, mark, compute)

    def refresh(self, key: Hashable, mark: Hashable, compute: Callable[[], Any]) -> bool:
        """Recompute if the data changed since the kept figures (a background pass); whether
        it did."""
        with self._lock(key):
            kept = self._values.get(key)
            if kept is not None and kept.mark == mark:
                return False
            self._compute(key, mark, compute)
            return True

    def _lock(self, key: Hashable) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _compute(self, key: Hashable, mark: Hashable, compute: Callable[[], Any]) -> Figures:
        at = self._clock()
        started = time.perf_counter()
        value = compute()
        figures = Figures(value, mark, at, time.perf_counter() - started)
        with self._guard:
            self._values[key] = figures
            while len(self._values) > KEPT:  # the oldest computed go first
                oldest = min(self._values, key=lambda k: self._values[k].at)
                self._values.pop(oldest, None)
        return figures
