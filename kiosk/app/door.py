"""The cage door as the session loop watches it: relocked on time, and an alarm while it is
held open too long (sounded, logged, and told to the session, whose screen asks for the door
to be closed)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.devices import Devices
from kiosk.session import DoorAlarm
from kiosk.vocabulary import Tone

log = logging.getLogger(__name__)


class DoorWatch:
    """Looked at on each tick of the session loop (session thread only); ``tell`` hears each
    start and end of the alarm."""

    def __init__(self, devices: Devices, tell: Callable[[DoorAlarm], object]) -> None:
        self._devices = devices
        self._tell = tell
        self.alarming = False

    def check(self) -> None:
        devices = self._devices
        if devices.door is not None:
            devices.door.tick()
        sensor, indicator = devices.door_sensor, devices.indicator
        if sensor is None or sensor.held_open == self.alarming:
            return
        self.alarming = sensor.held_open
        if self.alarming:
            log.warning("the cage door is held open")
        else:
            log.info("the cage door is shut again")
        if indicator is not None:
            if self.alarming:
                indicator.beep(Tone.ALARM)
            else:
                indicator.stop_alarm()
        self._tell(DoorAlarm(self.alarming))
