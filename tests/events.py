"""Custody events as a kiosk would send them, committed straight to a hub store.

For tests of what the hub does with events (strikes, tickets, alerts, reports) where the MQTT
path is not the point; that path has its own end-to-end tests.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.store import Store
from wire import CustodyEvent, DenialReason, EventType, ReturnCondition
from wire.ids import uuid7


def kiosk_event(
    at: datetime,
    type: EventType,
    kiosk: str = "cage-1",
    seq: int = 1,
    tiebreak: int = 0,
    **fields: object,
) -> CustodyEvent:
    """An event as a kiosk's outbox makes it: its id is a UUIDv7 of its time (``tiebreak``
    milliseconds later, for events of one instant that must keep their order)."""
    return CustodyEvent.model_validate(
        {
            "id": uuid7(int(at.timestamp() * 1000) + tiebreak),
            "kiosk": kiosk,
            "seq": seq,
            "at": at,
            "type": type,
            **fields,
        }
    )


def commit(store: Store, *events: CustodyEvent, now: datetime | None = None) -> None:
    """The events committed as the hub's ingest does, received at ``now`` (else the last's time)."""
    store.commit_events([(e, e.model_dump_json()) for e in events], now or events[-1].at)


def checkout_event(
    kiosk: str, seq: int, at: datetime, asset: str, person: str = "ada", hours: float = 48
) -> CustodyEvent:
    """A kiosk's checkout, made as the kiosk would (for tests that send it themselves)."""
    due = at + timedelta(hours=hours)
    return kiosk_event(at, EventType.CHECKOUT, kiosk, seq, person=person, asset=asset, due=due)


def denial_event(kiosk: str, seq: int, at: datetime, detail: str | None = None) -> CustodyEvent:
    """A kiosk's refusal of a code that is not a label."""
    reason = DenialReason.NOT_A_LABEL
    return kiosk_event(at, EventType.DENIED, kiosk, seq, reason=reason, detail=detail)


class KioskFeed:
    def __init__(self, store: Store, kiosk: str = "cage-1") -> None:
        self.store = store
        self.kiosk = kiosk
        self.seq = 0

    def _commit(self, at: datetime, type: EventType, **fields: object) -> CustodyEvent:
        self.seq += 1
        event = kiosk_event(at, type, self.kiosk, self.seq, 0, **fields)
        commit(self.store, event)
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
