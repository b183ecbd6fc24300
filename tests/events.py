"""Custody events as a kiosk would send them, committed straight to a hub store.

For tests of what the hub does with events (strikes, tickets, alerts, reports) where the MQTT
path is not the point; that path has its own end-to-end tests.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.store import Store
from wire import CustodyEvent, DenialReason, EventType, ReturnCondition
from wire.ids import uuid7


def checkout_event(
    kiosk: str, seq: int, at: datetime, asset: str, person: str = "ada", hours: float = 48
) -> CustodyEvent:
    """A kiosk's checkout, made as the kiosk would (for tests that send it themselves)."""
    return CustodyEvent(
        id=uuid7(int(at.timestamp() * 1000)),
        kiosk=kiosk,
        seq=seq,
        at=at,
        type=EventType.CHECKOUT,
        person=person,
        asset=asset,
        due=at + timedelta(hours=hours),
    )


def denial_event(kiosk: str, seq: int, at: datetime, detail: str | None = None) -> CustodyEvent:
    """A kiosk's refusal of a code that is not a label."""
    return CustodyEvent(
        id=uuid7(int(at.timestamp() * 1000)),
        kiosk=kiosk,
        seq=seq,
        at=at,
        type=EventType.DENIED,
        reason=DenialReason.NOT_A_LABEL,
        detail=detail,
    )


class KioskFeed:
    def __init__(self, store: Store, kiosk: str = "cage-1") -> None:
        self.store = store
        self.kiosk = kiosk
        self.seq = 0

    def _commit(self, at: datetime, **fields: object) -> CustodyEvent:
        self.seq += 1
        event = CustodyEvent.model_validate(
            {
                "id": uuid7(int(at.timestamp() * 1000)),
                "kiosk": self.kiosk,
                "seq": self.seq,
                "at": at,
                **fields,
            }
        )
        self.store.commit_events([(event, event.model_dump_json())], at)
        return event

    def checkout(self, asset: str, person: str, at: datetime, hours: float = 24) -> CustodyEvent:
        return self._commit(
            at,
            type=EventType.CHECKOUT,
            person=person,
            asset=asset,
            due=at + timedelta(hours=hours),
        )

    def give_back(
        self,
        asset: str,
        person: str,
        at: datetime,
        condition: ReturnCondition = ReturnCondition.OK,
        detail: str | None = None,
        session: str | None = None,
    ) -> CustodyEvent:
        return self._commit(
            at,
            type=EventType.RETURN,
            person=person,
            asset=asset,
            condition=condition,
            detail=detail,
            session=session,
        )

    def seen(self, asset: str, staff: str, at: datetime) -> CustodyEvent:
        return self._commit(at, type=EventType.SEEN, person=staff, asset=asset)

    def extend(self, asset: str, person: str, at: datetime, due: datetime) -> CustodyEvent:
        return self._commit(at, type=EventType.EXTEND, person=person, asset=asset, due=due)
