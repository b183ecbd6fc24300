"""MQTT topic names of the v1 contract; nobody else builds topic strings."""

from __future__ import annotations

import re
from dataclasses import dataclass

KIOSK_ID_PATTERN = r"[a-z0-9][a-z0-9-]{0,62}"
_KIOSK_ID = re.compile(rf"^{KIOSK_ID_PATTERN}$")


def is_valid_kiosk_id(kiosk_id: str) -> bool:
    """Kiosk ids double as broker usernames and topic levels, so they are kept plain."""
    return bool(_KIOSK_ID.match(kiosk_id)) and kiosk_id != "hub"


@dataclass(frozen=True)
class Topics:
    """Topic names under a configurable root (default ``cagekeeper``)."""

    root: str = "cagekeeper"

    @property
    def base(self) -> str:
        return f"{self.root}/v1"

    def events(self, kiosk_id: str) -> str:
        return f"{self.base}/kiosks/{kiosk_id}/events"

    def acks(self, kiosk_id: str) -> str:
        return f"{self.base}/kiosks/{kiosk_id}/acks"

    def status(self, kiosk_id: str) -> str:
        return f"{self.base}/kiosks/{kiosk_id}/status"

    def all_events(self, share_group: str | None = None) -> str:
        """Subscription for every kiosk's events, optionally as an MQTT v5 shared subscription."""
        topic = f"{self.base}/kiosks/+/events"
        return f"$share/{share_group}/{topic}" if share_group else topic

    def all_status(self) -> str:
        return f"{self.base}/kiosks/+/status"

    def hub_status(self) -> str:
        """Retained hub presence; kiosks resend unacknowledged events when it turns online."""
        return f"{self.base}/hub/status"

    def replica_snapshot(self) -> str:
        return f"{self.base}/replica/snapshot"

    def replica_delta(self) -> str:
        """Changes since the previous version, QoS 1, not retained."""
        return f"{self.base}/replica/delta"

    def alerts(self, scope: str = "all") -> str:
        return f"{self.base}/alerts/{scope}"

    def kiosk_of(self, topic: str) -> str | None:
        """The kiosk id in a ``.../kiosks/{id}/...`` topic, or None if it is not one."""
        prefix = f"{self.base}/kiosks/"
        if not topic.startswith(prefix):
            return None
        parts = topic[len(prefix) :].split("/")
        if len(parts) != 2 or not is_valid_kiosk_id(parts[0]):
            return None
        return parts[0]
