"""The kiosk application (``KioskApp``): the session loop, the device threads that feed it and
what carries out its effects, one module each."""

from kiosk.app.kiosk_app import KioskApp
from kiosk.app.settings import AppSettings
from kiosk.devices import Devices

__all__ = ["AppSettings", "Devices", "KioskApp"]
