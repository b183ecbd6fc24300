"""The Cagekeeper kiosk: badge and label scanning, a pure session, an outbox, an MQTT link."""

__version__ = "0.1.0"
