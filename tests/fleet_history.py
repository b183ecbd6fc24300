"""The fleet's kiosks, people and assets, and a history as eight kiosks make it over a few
days before now (the hub refuses events from the future or from long before a kiosk was
registered): loans of about a hundred assets, extensions, late and damaged returns, items lent
twice by offline kiosks, returns of what nobody holds, extensions by someone else."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from hub.store import Store
from tests.histories import number
from wire import CustodyEvent, EventType, ReturnCondition

KIOSKS = ("cage-1", "cage-2", "cage-3", "cage-4", "lab-1", "lab-2", "door-1", "door-2")
LENDERS = KIOSKS[:6]  # the doors only take returns
PLACES = {"cage-1": "Film cage", "cage-2": "Film cage", "lab-1": "Sound lab"}
PEOPLE = (
    "ada",
    "grace",
    "alan",
    "edsger",
    "barbara",
    "donald",
    "frances",
    "john",
    "katherine",
    "linus",
    "margaret",
    "niklaus",
)
ASSETS = tuple(f"{kind}-{n:03d}" for kind in ("CAM", "LENS", "MIC", "LIGHT") for n in range(25))
CATEGORY = {"CAM": "camera", "LENS": "lens", "MIC": "audio", "LIGHT": "lighting"}


def register(
    store: Store, registered: datetime, keys: dict[str, bytes] | None = None
) -> dict[str, bytes]:
    """People, assets and kiosks (registered at ``registered``); returns the kiosks' keys.
    Given ``keys``, the kiosks get those (a second store the same events go to)."""
    for person in PEOPLE:
        store.add_person(person, person.title())
    for code in ASSETS:
        store.add_asset(code, f"Item {code}", CATEGORY[code.split("-")[0]], now=registered)
    made = {}
    for kiosk in KIOSKS:
        made[kiosk] = store.add_kiosk(
            kiosk,
            kiosk,
            registered,
            key=keys[kiosk] if keys else None,
            location=PLACES.get(kiosk),
        )
    return made


def _condition(rnd: random.Random) -> ReturnCondition:
    return rnd.choices(
        [ReturnCondition.OK, ReturnCondition.DAMAGED, ReturnCondition.MISSING_PART], [17, 2, 1]
    )[0]


def fleet_history(
    rnd: random.Random, start: datetime, end: datetime, codes: Sequence[str] = ASSETS
) -> list[CustodyEvent]:
    """A history in event order, every event between ``start`` and ``end``."""
    rows: list[dict[str, Any]] = []

    def add(at: datetime, **row: Any) -> bool:
        if at > end:
            return False
        rows.append(dict(at=at, **row))
        return True

    span = int((end - start).total_seconds() // 60)
    for code in codes:
        at = start + timedelta(minutes=rnd.randint(0, 600), seconds=rnd.randint(0, 59))
        for n in range(rnd.randint(1, 3)):
            person, hours = rnd.choice(PEOPLE), rnd.choice([2, 4, 24, 48])
            due = at + timedelta(hours=hours)
            lender = rnd.choice(LENDERS)
            session = f"{code}-{n}"
            lent = dict(person=person, asset=code, due=due, session=session)
            if not add(at, kiosk=lender, type=EventType.CHECKOUT, **lent):
                break
            if rnd.random() < 0.2:
                due += timedelta(hours=24)
                add(
                    at + timedelta(minutes=30),
                    kiosk=lender,
                    type=EventType.EXTEND,
                    person=person,
                    asset=code,
                    due=due,
                )
            if rnd.random() < 0.15:
                break  # still out
            # back in time, a little late or very late (the grace period is 15 minutes)
            held = due - at
            back = at + timedelta(
                minutes=rnd.randint(10, int(held.total_seconds() // 60 * 1.4) + 90),
                seconds=rnd.randint(0, 59),
            )
            if not add(
                back,
                kiosk=rnd.choice(KIOSKS),
                type=EventType.RETURN,
                asset=code,
                condition=_condition(rnd),
                session=f"{session}-back",
            ):
                break
            at = back + timedelta(minutes=rnd.randint(5, 900))
    for _ in range(4):  # offline kiosks lending what someone else holds, perhaps
        at = start + timedelta(minutes=rnd.randint(0, span))
        add(
            at,
            kiosk=rnd.choice(LENDERS),
            type=EventType.CHECKOUT,
            person=rnd.choice(PEOPLE),
            asset=rnd.choice(codes),
            due=at + timedelta(hours=4),
        )
    for _ in range(4):  # returns of what nobody may hold
        at = start + timedelta(minutes=rnd.randint(0, span))
        add(at, kiosk=rnd.choice(KIOSKS), type=EventType.RETURN, asset=rnd.choice(codes))
    for _ in range(2):  # extensions by someone who may not hold the item
        at = start + timedelta(minutes=rnd.randint(0, span))
        add(
            at,
            kiosk=rnd.choice(LENDERS),
            type=EventType.EXTEND,
            person=rnd.choice(PEOPLE),
            asset=rnd.choice(codes),
            due=at + timedelta(hours=24),
        )
    return number(rows)


def arrivals(
    events: Sequence[CustodyEvent], rnd: random.Random, resent: float
) -> list[CustodyEvent]:
    """Arrival order, which is not event order: the events shuffled, a share sent twice."""
    sent = list(events) + rnd.sample(list(events), int(len(events) * resent))
    rnd.shuffle(sent)
    return sent


def event_order(events: Iterable[CustodyEvent]) -> list[CustodyEvent]:
    """The order the hub folds custody in: event time, kiosk, its sequence, id."""
    return sorted(events, key=lambda e: (e.at, e.kiosk, e.seq, e.id))


def returned_assets(events: Iterable[CustodyEvent]) -> set[str]:
    """Assets whose last custody event (in event order) is a return: nobody holds them."""
    last: dict[str, CustodyEvent] = {}
    for ev in event_order(events):
        if ev.asset is not None:
            last[ev.asset] = ev
    return {code for code, ev in last.items() if ev.type is EventType.RETURN}
