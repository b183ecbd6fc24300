"""Hub error families."""


class HubError(Exception):
    """Base of every error the hub raises on purpose."""


class ConfigError(HubError):
    """The hub configuration is missing, unreadable or invalid."""


class StoreError(HubError):
    """The database refused a write or read."""


class NotFound(HubError):
    """A registry entry (kiosk, person, asset, user) does not exist."""


class AlreadyExists(HubError):
    """A registry entry with that key exists already."""


class BookingConflict(HubError):
    """A reservation overlaps another one for the same asset."""
