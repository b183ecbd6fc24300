"""The alert as every delivery channel sees it (hub.domain.alerts), and the one error they all
raise."""

from __future__ import annotations

from hub.domain.alerts import Alert as Alert
from hub.errors import HubError


class DeliveryFailed(HubError):
    """A channel could not hand an alert over.

    ``permanent``: this alert will not go however often it is tried (an address refused, a
    receiver that rejects it); otherwise the channel is down and everything waits for it.
    """

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
