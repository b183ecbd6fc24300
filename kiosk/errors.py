"""Kiosk error families, so callers can catch a whole family (as gpiozero's exc.py does)."""


class KioskError(Exception):
    """Base of every error the kiosk raises on purpose."""


class ConfigError(KioskError):
    """The kiosk configuration file is missing, unreadable or invalid."""


class DriverError(KioskError):
    """A hardware driver failed; the kiosk reports it and keeps running."""


class ReaderError(DriverError):
    """The RFID reader is missing, unplugged, or answered garbage."""


class CameraError(DriverError):
    """The camera could not be opened or stopped delivering frames."""


class OutboxError(KioskError):
    """The outbox could not store an event (for example, the disk is full)."""
