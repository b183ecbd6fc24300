"""The kiosk's PIN lockouts on disk, so turning the kiosk off and on again does not give a
badge its tries back."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path

from kiosk.pin_lockout import PinLockouts, dump, load

log = logging.getLogger(__name__)


class LockoutFile:
    """``PinLockouts`` kept in one JSON file, replaced whole at each change (never half
    written). A file that cannot be read starts empty, and says so in the log."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.saved = PinLockouts()

    def load(self) -> PinLockouts:
        try:
            self.saved = load(self.path.read_text())
        except FileNotFoundError:
            self.saved = PinLockouts()
        except (OSError, ValueError) as exc:
            log.error("PIN lockouts at %s unreadable, starting without: %s", self.path, exc)
            self.saved = PinLockouts()
        return self.saved

    def save(self, lockouts: PinLockouts) -> None:
        """Write ``lockouts`` if they changed; a failure is logged (the kiosk goes on, and
        the lockouts hold in memory)."""
        if lockouts == self.saved:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".lockouts.", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w") as f:
                    f.write(dump(lockouts))
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            log.error("could not save the PIN lockouts to %s: %s", self.path, exc)
            return
        self.saved = lockouts
