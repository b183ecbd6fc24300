"""Alerts: their kinds, and the one record every part of the hub passes around (the store reads
it, the sweeper's stages name its kind, the delivery channels send it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class AlertKind(StrEnum):
    """The stages a loan reaches (hub.domain.sweeper), in order, and the notice that an alert
    no longer applies."""

    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    ESCALATED = "escalated"  # to managers
    LOST = "lost"
    WITHDRAWN = "withdrawn"  # returned or extended: an alert that went out no longer applies

    @property
    def for_managers(self) -> bool:
        """Meant for managers rather than for the person holding the item."""
        return self in (AlertKind.ESCALATED, AlertKind.LOST)

    @property
    def notice(self) -> bool:
        """Shown to the person at the kiosk while it is open."""
        return self in (AlertKind.DUE_SOON, AlertKind.OVERDUE)

    @property
    def announced(self) -> int | None:
        """How serious a stage whose end is worth announcing is (higher: more), else None."""
        return _ANNOUNCED.get(self)


_ANNOUNCED = {AlertKind.OVERDUE: 1, AlertKind.ESCALATED: 2, AlertKind.LOST: 3}
NOTICE_KINDS = tuple(k.value for k in AlertKind if k.notice)


@dataclass(frozen=True)
class Alert:
    """One thing someone should hear about a loan.

    ``id`` is stable across retries so that receivers can recognise a duplicate. ``loan`` (the
    checkout it is about) and ``withdrawn_at`` are the store's; a channel needs neither.
    """

    id: str
    kind: str  # an AlertKind (given as its value, kept as the member)
    asset: str
    asset_name: str
    person: str
    person_name: str
    person_email: str | None
    due: datetime
    raised_at: datetime
    text: str
    loan: str | None = None
    withdrawn_at: datetime | None = None

    def __post_init__(self) -> None:
        # Frozen, so normalising has to bypass the generated __setattr__.
        try:
            object.__setattr__(self, "kind", AlertKind(self.kind))
        except ValueError:
            raise ValueError(f"alert {self.id}: unknown kind {self.kind!r}") from None
        for name in ("due", "raised_at"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"alert {self.id}: {name} must be timezone-aware")
            object.__setattr__(self, name, value.astimezone(UTC))

    @property
    def for_managers(self) -> bool:
        return AlertKind(self.kind).for_managers

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": str(self.kind),
            "asset": self.asset,
            "asset_name": self.asset_name,
            "person": self.person,
            "person_name": self.person_name,
            "person_email": self.person_email,
            "due": self.due.isoformat(),
            "raised_at": self.raised_at.isoformat(),
            "text": self.text,
        }
