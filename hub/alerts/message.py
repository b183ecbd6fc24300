"""The alert as every delivery channel sees it, and the one error they all raise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from hub.errors import HubError

KINDS = ("due_soon", "overdue", "escalated", "lost", "withdrawn")
# Kinds meant for managers rather than for the person holding the item.
MANAGER_KINDS = frozenset({"escalated", "lost"})


class DeliveryFailed(HubError):
    """A channel could not hand an alert over.

    ``permanent``: this alert will not go however often it is tried (an address refused, a
    receiver that rejects it); otherwise the channel is down and everything waits for it.
    """

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Alert:
    """One thing someone should hear about a loan.

    ``id`` is stable across retries so that receivers can recognise a duplicate.
    """

    id: str
    kind: str
    asset: str
    asset_name: str
    person: str
    person_name: str
    person_email: str | None
    due: datetime
    raised_at: datetime
    text: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"alert {self.id}: unknown kind {self.kind!r}")
        for name in ("due", "raised_at"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"alert {self.id}: {name} must be timezone-aware")
            # Frozen, so normalising to UTC has to bypass the generated __setattr__.
            object.__setattr__(self, name, value.astimezone(UTC))

    @property
    def for_managers(self) -> bool:
        return self.kind in MANAGER_KINDS

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "asset": self.asset,
            "asset_name": self.asset_name,
            "person": self.person,
            "person_name": self.person_name,
            "person_email": self.person_email,
            "due": self.due.isoformat(),
            "raised_at": self.raised_at.isoformat(),
            "text": self.text,
        }
