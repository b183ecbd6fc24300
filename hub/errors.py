"""Hub error families."""

from __future__ import annotations

from datetime import timedelta


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


class RateLimited(HubError):
    """Too many of something made too quickly; ``retry_after`` says when one more may go."""

    def __init__(self, limit: int, window: timedelta, retry_after: timedelta) -> None:
        minutes = max(1, round(window.total_seconds() / 60))
        super().__init__(
            f"at most {limit} reservations in {minutes} minutes: try again in "
            f"{max(1, -(-int(retry_after.total_seconds()) // 60))} minutes"
        )
        self.retry_after = retry_after
