"""Wrong door PINs counted per badge at one kiosk, and the lockout they earn. Pure: the time
is passed in, so tests run the clock.

A badge whose PIN is given wrong ``attempts`` times in a row is refused at the door until
``lockout`` has passed; then it has its full count of tries again. A run of wrong PINs is
forgotten once ``lockout`` passes without another one, so a PIN mistyped now and then never
adds up to a lockout. The right PIN forgets the run at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

MAX_TRACKED = 256  # badges remembered at once; a staff list is far shorter


@dataclass(frozen=True)
class Tries:
    """One badge's run of wrong PINs: how many, the last one's time, and a lockout's end."""

    wrong: int = 0
    last: datetime | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class PinLockouts:
    """Every badge with a run of wrong PINs or a lockout, as (badge, tries) pairs."""

    badges: tuple[tuple[str, Tries], ...] = ()

    def _get(self, badge: str) -> Tries:
        return next((t for b, t in self.badges if b == badge), Tries())

    def _put(self, badge: str, tries: Tries | None) -> PinLockouts:
        rest = tuple((b, t) for b, t in self.badges if b != badge)
        if tries is None:
            return PinLockouts(rest)
        return PinLockouts((*rest, (badge, tries))[-MAX_TRACKED:])

    def locked_until(self, badge: str, now: datetime) -> datetime | None:
        """When ``badge`` may try its PIN here again, if it is locked out at ``now``."""
        until = self._get(badge).locked_until
        return until if until is not None and until > now else None

    def wrong_in_a_row(self, badge: str, now: datetime, lockout: timedelta) -> int:
        tries = self._get(badge)
        if tries.last is None or now - tries.last >= lockout:
            return 0
        return tries.wrong

    def wrong(
        self, badge: str, now: datetime, attempts: int, lockout: timedelta
    ) -> tuple[PinLockouts, datetime | None]:
        """One more wrong PIN for ``badge``; with it, the lockout's end if this one locks the
        badge out (None if it still has tries)."""
        count = self.wrong_in_a_row(badge, now, lockout) + 1
        if count >= attempts:
            until = now + lockout
            return self._put(badge, Tries(0, None, until)), until
        return self._put(badge, replace(self._get(badge), wrong=count, last=now)), None

    def right(self, badge: str) -> PinLockouts:
        """The right PIN: the badge's run of wrong ones is over."""
        return self._put(badge, None)

    def tidy(self, now: datetime, lockout: timedelta) -> PinLockouts:
        """Without the badges that have nothing left to remember at ``now``."""
        kept = tuple(
            (b, t)
            for b, t in self.badges
            if (t.locked_until is not None and t.locked_until > now)
            or (t.last is not None and now - t.last < lockout)
        )
        return self if kept == self.badges else PinLockouts(kept)


def dump(lockouts: PinLockouts) -> str:
    """As JSON, to keep across restarts (a door station's power is easy to reach)."""
    return json.dumps(
        [
            {
                "badge": badge,
                "wrong": t.wrong,
                "last": t.last.isoformat() if t.last else None,
                "locked_until": t.locked_until.isoformat() if t.locked_until else None,
            }
            for badge, t in lockouts.badges
        ]
    )


def load(text: str) -> PinLockouts:
    """What ``dump`` wrote; ValueError if it is not that."""
    try:
        rows = json.loads(text)
        return PinLockouts(
            tuple(
                (
                    str(row["badge"]),
                    Tries(
                        int(row["wrong"]),
                        _when(row["last"]),
                        _when(row["locked_until"]),
                    ),
                )
                for row in rows[-MAX_TRACKED:]
            )
        )
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"not saved PIN lockouts: {exc}") from exc


def _when(value: object) -> datetime | None:
    if value is None:
        return None
    when = datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        raise ValueError("a saved time without its zone")
    return when
