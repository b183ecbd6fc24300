"""Current custody as a projection of the ledger: pure, no I/O.

A checkout makes the person the holder; a return ends the holding. A checkout of an item that
someone else still holds (two offline kiosks lending it) moves the holding to the newer event by
event time (equal times: the larger event id) whichever arrives first, and is reported as a
conflict, so nothing is silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from wire import CustodyEvent, EventType, ReturnCondition


@dataclass(frozen=True)
class Holding:
    asset: str
    person: str
    since: datetime
    due: datetime
    kiosk: str
    event_id: str
    renewals: int = 0


@dataclass(frozen=True)
class Change:
    """What one event does to the projection of one asset."""

    asset: str | None
    holding: Holding | None  # the new holding, or None if the asset is now free
    touched: bool  # False: the event does not change custody (a denial, a stale event)
    conflict: str | None = None
    status: str | None = None  # the asset's new status, if it changes


PROBLEMS = (ReturnCondition.DAMAGED, ReturnCondition.MISSING_PART)


def apply(current: Holding | None, event: CustodyEvent) -> Change:
    """The custody change; a return reported damaged or incomplete also sends the item to
    maintenance, out of circulation, whoever held it."""
    change = _custody(current, event)
    if event.type is EventType.RETURN and event.condition in PROBLEMS:
        return replace(change, status="maintenance")
    if change.touched:
        return replace(change, status="out" if change.holding is not None else "available")
    return change


def _custody(current: Holding | None, event: CustodyEvent) -> Change:
    if event.type is EventType.EXTEND:
        return _extend(current, event)
    if event.asset is None or event.type not in (EventType.CHECKOUT, EventType.RETURN):
        return Change(asset=event.asset, holding=current, touched=False)
    if event.type is EventType.CHECKOUT:
        assert event.person is not None and event.due is not None
        new = Holding(event.asset, event.person, event.at, event.due, event.kiosk, event.id)
        if current is None:
            return Change(event.asset, new, touched=True)
        if current.person == event.person:
            return Change(event.asset, new, touched=True)
        conflict = (
            f"{event.asset} lent to {event.person} at {event.kiosk} while held by "
            f"{current.person} (since {current.since.isoformat()})"
        )
        if (event.at, event.id) >= (current.since, current.event_id):
            return Change(event.asset, new, touched=True, conflict=conflict)
        return Change(event.asset, current, touched=False, conflict=conflict)
    # a return: ends the holding unless a newer checkout already replaced it
    if current is not None and current.since > event.at:
        return Change(event.asset, current, touched=False)
    return Change(event.asset, None, touched=current is not None)


def _extend(current: Holding | None, event: CustodyEvent) -> Change:
    """A renewal moves the due time of the holder's own loan; anything else is reported."""
    assert event.due is not None
    if current is None or current.person != event.person or current.since > event.at:
        return Change(
            event.asset,
            current,
            touched=False,
            conflict=f"{event.person} extended {event.asset} without holding it",
        )
    renewed = replace(current, due=event.due, renewals=current.renewals + 1)
    return Change(event.asset, renewed, touched=True)
