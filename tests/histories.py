"""Custody histories as kiosks make them, for tests that deliver them out of order.

A history is a list of events in event order over several assets, people and kiosks: loans with
extensions, late and damaged returns, a kit lent and returned as one session, two offline kiosks
lending the same item, a return with nothing on loan. Each kiosk numbers its own events. Tests
then deliver them shuffled, resent, split into batches or through several hubs, and compare
what the hub stores with what it stores for the same events in event order.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import select

from hub.domain.alerts import Alert
from hub.store import Store
from hub.store.schema import alerts, assets, bookings, conflicts, holdings, late_returns, people
from hub.store.schema import tickets as tickets_table
from wire import CustodyEvent, EventType, ReturnCondition
from wire.ids import uuid7

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KIOSKS = ("cage-1", "cage-2", "door-1")
PLACES = {"cage-1": "Film cage", "cage-2": "Sound cage", "door-1": None}  # a door with no place
PEOPLE = ("ada", "grace", "alan")
KIT = "KIT-1"
PIECES = ("KIT-1-BODY", "KIT-1-LENS")
LOOSE = ("CAM-1", "CAM-2", "MIC-1")


def registry(store: Store) -> None:
    """The people, assets (a kit of two pieces among them) and kiosks histories name."""
    for person in PEOPLE:
        store.add_person(person, person.title())
    for code in LOOSE:
        store.add_asset(code, f"Item {code}", "camera")
    store.add_asset(KIT, "Camera kit", "kit")
    for piece in PIECES:
        store.add_asset(piece, f"Piece {piece}", "kit", kit=KIT)
    for kiosk, place in PLACES.items():
        store.add_kiosk(kiosk, kiosk, T0 - timedelta(days=30), location=place)


@dataclass(frozen=True)
class Loan:
    items: tuple[str, ...]
    person: str
    start_min: int
    hours: int
    back_min: int | None  # minutes after the start; None: still out
    lend_at: str
    return_at: str
    condition: ReturnCondition
    extend: bool


def _loans(draw: st.DrawFn, items: tuple[str, ...]) -> list[Loan]:
    loans = []
    start = draw(st.integers(0, 120))
    for _ in range(draw(st.integers(0, 3))):
        hours = draw(st.sampled_from([2, 4, 24]))
        back = draw(st.one_of(st.none(), st.integers(10, 60 * 30)))
        loans.append(
            Loan(
                items,
                draw(st.sampled_from(PEOPLE)),
                start,
                hours,
                back,
                draw(st.sampled_from(KIOSKS[:2])),
                draw(st.sampled_from(KIOSKS)),
                draw(
                    st.sampled_from(
                        [ReturnCondition.OK] * 3
                        + [ReturnCondition.DAMAGED, ReturnCondition.MISSING_PART]
                    )
                ),
                draw(st.booleans()),
            )
        )
        if back is None:
            break
        start += back + draw(st.integers(5, 600))
    return loans


@st.composite
def histories(draw: st.DrawFn, counts: bool = False) -> list[CustodyEvent]:
    """A history in event order (strategy); with ``counts``, staff also scan items on the
    shelf (stocktake counts, where an item was seen)."""
    loans: list[Loan] = []
    for code in LOOSE:
        loans += _loans(draw, (code,))
    loans += _loans(draw, (KIT, *PIECES))
    rows: list[dict[str, Any]] = []
    for n, loan in enumerate(loans):
        at = T0 + timedelta(minutes=loan.start_min)
        session = f"s{n}"
        for code in loan.items:
            rows.append(
                dict(
                    at=at,
                    kiosk=loan.lend_at,
                    type=EventType.CHECKOUT,
                    person=loan.person,
                    asset=code,
                    due=at + timedelta(hours=loan.hours),
                    session=session,
                )
            )
            if loan.extend:
                ext = at + timedelta(minutes=30)
                rows.append(
                    dict(
                        at=ext,
                        kiosk=loan.lend_at,
                        type=EventType.EXTEND,
                        person=loan.person,
                        asset=code,
                        due=at + timedelta(hours=loan.hours + 24),
                        session=f"e{n}",
                    )
                )
            if loan.back_min is not None:
                back = at + timedelta(minutes=loan.back_min + (31 if loan.extend else 0))
                rows.append(
                    dict(
                        at=back,
                        kiosk=loan.return_at,
                        type=EventType.RETURN,
                        asset=code,
                        condition=loan.condition if code == loan.items[0] else None,
                        session=f"r{n}",
                    )
                )
    # offline kiosks lending one item twice, and a return of what nobody holds
    if draw(st.booleans()):
        at = T0 + timedelta(minutes=draw(st.integers(0, 3000)))
        rows.append(
            dict(
                at=at,
                kiosk="cage-2",
                type=EventType.CHECKOUT,
                person=draw(st.sampled_from(PEOPLE)),
                asset=draw(st.sampled_from(LOOSE)),
                due=at + timedelta(hours=4),
                session="double",
            )
        )
    if draw(st.booleans()):
        at = T0 + timedelta(minutes=draw(st.integers(0, 3000)))
        rows.append(
            dict(at=at, kiosk="door-1", type=EventType.RETURN, asset=draw(st.sampled_from(LOOSE)))
        )
    for _ in range(draw(st.integers(0, 4)) if counts else 0):
        at = T0 + timedelta(minutes=draw(st.integers(0, 3000)))
        rows.append(
            dict(
                at=at,
                kiosk=draw(st.sampled_from(KIOSKS)),
                type=EventType.SEEN,
                person="alan",
                asset=draw(st.sampled_from(LOOSE + PIECES)),
            )
        )
    return number(rows)


def number(rows: list[dict[str, Any]]) -> list[CustodyEvent]:
    """Events in event order, each kiosk numbering its own from 1."""
    seqs: dict[str, int] = defaultdict(int)
    events = []
    for row in sorted(rows, key=lambda r: (r["at"], r["kiosk"])):
        seqs[row["kiosk"]] += 1
        # ids random-looking but the same every run, so a failing example replays exactly
        noise = hashlib.sha256(f"{row['kiosk']}:{seqs[row['kiosk']]}".encode()).digest()[:10]
        events.append(
            CustodyEvent(
                id=uuid7(int(row["at"].timestamp() * 1000), noise),
                seq=seqs[row["kiosk"]],
                **{k: v for k, v in row.items() if v is not None},
            )
        )
    return events


def deliveries(events: list[CustodyEvent], rnd: random.Random) -> list[list[CustodyEvent]]:
    """The events shuffled, some sent twice, split into batches of random size."""
    sent = list(events) + rnd.sample(events, len(events) // 3)
    rnd.shuffle(sent)
    batches: list[list[CustodyEvent]] = []
    while sent:
        size = rnd.randint(1, 8)
        batches.append(sent[:size])
        sent = sent[size:]
    return batches


def open_alerts(store: Store, person: str) -> list[Alert]:
    """The alerts about ``person`` still open, as the dashboard's and the API's lists have them."""
    return [a for a in store.recent_alerts(1000, open_only=True) if a.person == person]


def state(store: Store) -> dict[str, Any]:
    """What a manager or a borrower would see of custody, without the hub's own timestamps."""
    with store.engine.connect() as conn:
        return {
            "holdings": sorted(conn.execute(select(holdings)).all()),
            "assets": sorted(
                conn.execute(
                    select(
                        assets.c.code,
                        assets.c.status,
                        assets.c.location,
                        assets.c.last_seen,
                        assets.c.checkouts_since_service,
                    )
                ).all()
            ),
            "late": sorted(
                conn.execute(
                    select(
                        late_returns.c.event_id,
                        late_returns.c.person,
                        late_returns.c.asset,
                        late_returns.c.minutes_late,
                    )
                ).all()
            ),
            "bans": sorted(
                conn.execute(
                    select(people.c.id, people.c.blocked_until, people.c.blocked_reason)
                ).all()
            ),
            "tickets": sorted(
                conn.execute(
                    select(
                        tickets_table.c.asset,
                        tickets_table.c.kind,
                        tickets_table.c.person,
                        tickets_table.c.event_id,
                        tickets_table.c.loan_event_id,
                    )
                ).all(),
                key=str,
            ),
            "anomalies": sorted(
                conn.execute(
                    select(conflicts.c.asset, conflicts.c.event_id, conflicts.c.kind).where(
                        conflicts.c.resolved.is_(False)
                    )
                ).all(),
                key=str,
            ),
            "open alerts": sorted(
                conn.scalars(select(alerts.c.id).where(alerts.c.withdrawn_at.is_(None))).all()
            ),
            "bookings": sorted(
                conn.execute(
                    select(
                        bookings.c.asset,
                        bookings.c.person,
                        bookings.c.picked_up,
                        bookings.c.cancelled,
                    )
                ).all()
            ),
        }
