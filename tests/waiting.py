"""Waiting on a condition another thread makes true, with a deadline (never a bare sleep)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def wait_until(check: Callable[[], bool], what: str, timeout: float = 10) -> None:
    """Poll ``check`` every 20 ms until it holds; TimeoutError naming ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        pause.wait(0.02)
