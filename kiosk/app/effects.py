"""Carrying out the session's effects: events recorded in the outbox (and the replica), screens
shown, the door unlocked, the answer lit and sounded."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from kiosk.devices import Devices
from kiosk.outbox import Outbox
from kiosk.replica import Replica
from kiosk.screens import DeniedScreen, Screen
from kiosk.session import Effect, Feedback, Mode, Record, Show, Signal, State, Unlock
from kiosk.vocabulary import Pattern, Tone

log = logging.getLogger(__name__)

SIGNALS: dict[Signal, tuple[Pattern, Tone]] = {
    Signal.OK: (Pattern.SUCCESS, Tone.OK),
    Signal.ERROR: (Pattern.DENIED, Tone.ERROR),
    Signal.DONE: (Pattern.SUCCESS, Tone.OK),
}


def record(
    records: list[Record],
    outbox: Outbox,
    replica: Replica,
    now: datetime,
    clock_synced: bool | None,
) -> None:
    """Store one input's events together: all of a confirmed cart, or nothing (OutboxError)."""
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
            "clock_synced": clock_synced,
        }
        for rec in records
    ]
    # the whole cart reaches the replica at once: one new view, never half a cart
    replica.record_all(outbox.append_all(many, now))


def storage_failure(state: State, now: datetime, linger: timedelta) -> State:
    """The session after its events could not be stored: nothing was recorded, say so."""
    return State(
        mode=Mode.DENIED,
        offline=state.offline,
        door_alarm=state.door_alarm,
        lockouts=state.lockouts,  # a lockout holds even when it could not be recorded
        denial=("Could not save", "Nothing was recorded. Please see staff."),
        expires=now + linger,
    )


def failure_effects(state: State) -> list[Effect]:
    """What the kiosk does instead of a session's effects when they could not be stored."""
    assert state.denial is not None
    screen = DeniedScreen(state.denial[0], state.denial[1], state.offline)
    return [Feedback(Signal.ERROR), Show(screen)]


def drive(effects: list[Effect], devices: Devices, show: Callable[[Screen], None]) -> None:
    """The screens, the door and the status light and buzzer, as ``effects`` say."""
    for effect in effects:
        if isinstance(effect, Show):
            show(effect.screen)
        elif isinstance(effect, Unlock):
            if devices.door is not None:
                devices.door.unlock(effect.seconds)
            else:
                log.warning("door unlock asked for, but no door lock is fitted")
        elif isinstance(effect, Feedback) and devices.indicator is not None:
            pattern, tone = SIGNALS[effect.signal]
            devices.indicator.show(pattern)
            devices.indicator.beep(tone)
