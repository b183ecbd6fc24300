"""Alerts as rows: raised once (even across restarts), delivered per channel, withdrawn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Select, delete, insert, or_, select, update

from hub.domain.sweeper import Loan, Raise
from hub.store.base import StoreBase
from hub.store.locks import lock
from hub.store.schema import alerts, assets, bookings, holdings, people

Channel = Literal["email", "webhook", "mqtt"]
CHANNELS: tuple[Channel, ...] = ("email", "webhook", "mqtt")
# stages whose end is worth announcing, least to most serious
_ANNOUNCED = ("overdue", "escalated", "lost")


@dataclass(frozen=True)
class AlertRow:
    id: str
    kind: str
    asset: str
    asset_name: str
    person: str
    person_name: str
    person_email: str | None
    loan: str
    due: datetime
    raised_at: datetime
    withdrawn_at: datetime | None
    text: str


def _alert_query() -> Select[Any]:
    return select(
        alerts.c.id,
        alerts.c.kind,
        alerts.c.asset,
        assets.c.name,
        alerts.c.person,
        people.c.name,
        people.c.email,
        alerts.c.loan,
        alerts.c.due,
        alerts.c.raised_at,
        alerts.c.withdrawn_at,
        alerts.c.text,
    ).select_from(
        alerts.join(assets, assets.c.code == alerts.c.asset).join(
            people, people.c.id == alerts.c.person
        )
    )


def withdraw(conn: Connection, ids: list[str], now: datetime) -> None:
    """Close alerts; whoever heard the overdue news of a loan hears once that it ended."""
    ended = conn.execute(
        select(alerts).where(alerts.c.id.in_(ids), alerts.c.withdrawn_at.is_(None))
    ).all()
    conn.execute(
        update(alerts)
        .where(alerts.c.id.in_(ids), alerts.c.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )
    latest: dict[str, Any] = {}
    for row in ended:
        if row.kind in _ANNOUNCED and (
            row.loan not in latest
            or _ANNOUNCED.index(row.kind) > _ANNOUNCED.index(latest[row.loan].kind)
        ):
            latest[row.loan] = row
    for row in latest.values():
        # only where the alert itself went out: nobody else needs to hear it is over
        unheard = {f"{ch}_at": now for ch in CHANNELS if row._mapping[f"{ch}_at"] is None}
        conn.execute(
            insert(alerts).values(
                **unheard,
                id=f"withdrawn:{row.id}"[:120],
                kind="withdrawn",
                asset=row.asset,
                person=row.person,
                loan=row.loan,
                due=row.due,
                raised_at=now,
                withdrawn_at=now,
                text=f"No longer {row.kind}: {row.text}"[:300],
            )
        )


def _raise_again(conn: Connection, ids: list[str], now: datetime) -> None:
    notices = [f"withdrawn:{i}"[:120] for i in ids]
    conn.execute(delete(alerts).where(alerts.c.id.in_(notices)))
    conn.execute(
        update(alerts)
        .where(alerts.c.id.in_(ids))
        .values(
            withdrawn_at=None,
            raised_at=now,
            email_at=None,
            webhook_at=None,
            mqtt_at=None,
            attempts=0,
            last_error=None,
        )
    )


class AlertStore(StoreBase):
    def loans_due_before(self, before: datetime) -> list[tuple[Loan, str, str]]:
        """Loans due before ``before`` with asset and person names; reads the due index only."""
        q = (
            select(
                holdings.c.asset,
                holdings.c.person,
                holdings.c.event_id,
                holdings.c.due,
                assets.c.name,
                people.c.name,
            )
            .select_from(
                holdings.join(assets, assets.c.code == holdings.c.asset).join(
                    people, people.c.id == holdings.c.person
                )
            )
            .where(holdings.c.due < before)
        )
        with self.engine.connect() as conn:
            return [(Loan(a, p, e, d), an, pn) for a, p, e, d, an, pn in conn.execute(q)]

    def open_alert_ids(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(alerts.c.id).where(alerts.c.withdrawn_at.is_(None))))

    def record_sweep(
        self, raised: list[tuple[Raise, str]], withdrawn: list[str], now: datetime
    ) -> None:
        """Store new alerts (id, text) and withdraw ended ones, in one transaction.

        An alert withdrawn before and wanted again (a late event ended its loan, a later one
        showed it goes on) is raised again and delivered again; its withdrawal notice is
        dropped, so a channel that has not sent it yet never does."""
        with self._tx() as conn:
            # a commit that ends a loan withdraws its alerts under these locks: after them, an
            # alert is raised only for a loan that is still current, never left open on an
            # ended one
            lock(conn, sorted({r.loan.asset for r, _ in raised}))
            current = {
                (loan, due)
                for loan, due in conn.execute(
                    select(holdings.c.event_id, holdings.c.due).where(
                        holdings.c.event_id.in_({r.loan.loan for r, _ in raised})
                    )
                )
            }
            raised = [(r, text) for r, text in raised if (r.loan.loan, r.loan.due) in current]
            known = dict(
                conn.execute(
                    select(alerts.c.id, alerts.c.withdrawn_at).where(
                        alerts.c.id.in_([r.id for r, _ in raised])
                    )
                ).all()
            )
            again = [r.id for r, _ in raised if r.id in known and known[r.id] is not None]
            if again:
                _raise_again(conn, again, now)
            for r, text in raised:
                if r.id in known:
                    continue
                conn.execute(
                    insert(alerts).values(
                        id=r.id,
                        kind=r.stage.value,
                        asset=r.loan.asset,
                        person=r.loan.person,
                        loan=r.loan.loan,
                        due=r.loan.due,
                        raised_at=now,
                        text=text[:300],
                    )
                )
            if withdrawn:
                withdraw(conn, withdrawn, now)

    def undelivered(self, channel: Channel, limit: int = 100) -> list[AlertRow]:
        """Alerts this channel has not delivered yet, raised or withdrawn, oldest first."""
        column = alerts.c[f"{channel}_at"]
        # an alert withdrawn before it went out is not sent at all
        live = or_(alerts.c.withdrawn_at.is_(None), alerts.c.kind == "withdrawn")
        q = (
            _alert_query()
            .where(column.is_(None), live)
            .order_by(alerts.c.raised_at, alerts.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [AlertRow(*r) for r in conn.execute(q)]

    def mark_delivered(self, alert_id: str, channel: Channel, now: datetime) -> None:
        with self._tx() as conn:
            conn.execute(
                update(alerts).where(alerts.c.id == alert_id).values({f"{channel}_at": now})
            )

    def mark_failed(self, alert_id: str, error: str) -> int:
        """Note a failed attempt; returns how many there have been."""
        with self._tx() as conn:
            conn.execute(
                update(alerts)
                .where(alerts.c.id == alert_id)
                .values(attempts=alerts.c.attempts + 1, last_error=error[:300])
            )
            return int(conn.scalar(select(alerts.c.attempts).where(alerts.c.id == alert_id)) or 0)

    def give_up(self, alert_id: str, channel: Channel, now: datetime, error: str) -> None:
        """Stop trying this alert on this channel; the reason stays on the alert."""
        with self._tx() as conn:
            conn.execute(
                update(alerts)
                .where(alerts.c.id == alert_id)
                .values({f"{channel}_at": now, "last_error": f"gave up: {error}"[:300]})
            )

    def alerts_for(self, person: str) -> list[AlertRow]:
        q = (
            _alert_query()
            .where(alerts.c.person == person, alerts.c.withdrawn_at.is_(None))
            .order_by(alerts.c.raised_at)
        )
        with self.engine.connect() as conn:
            return [AlertRow(*r) for r in conn.execute(q)]

    def recent_alerts(self, limit: int = 20, open_only: bool = False) -> list[AlertRow]:
        q = _alert_query().order_by(alerts.c.raised_at.desc(), alerts.c.id).limit(limit)
        if open_only:
            q = q.where(alerts.c.withdrawn_at.is_(None))
        with self.engine.connect() as conn:
            return [AlertRow(*r) for r in conn.execute(q)]

    def alerts_since(self, after: datetime, limit: int = 100) -> list[AlertRow]:
        """Alerts raised at or after ``after`` (withdrawal notices too), oldest first: what a
        live page has not shown yet, and some it has (it skips those)."""
        q = (
            _alert_query()
            .where(alerts.c.raised_at >= after)
            .order_by(alerts.c.raised_at, alerts.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [AlertRow(*r) for r in conn.execute(q)]

    def release_no_shows(self, started_before: datetime, now: datetime) -> list[int]:
        """Bookings nobody picked up within the grace period are released for others (not
        those whose booker holds the item: taken early, or lent by a kiosk still offline)."""
        held = select(holdings.c.asset).where(
            holdings.c.asset == bookings.c.asset, holdings.c.person == bookings.c.person
        )
        due = select(bookings.c.id, bookings.c.asset).where(
            bookings.c.cancelled.is_(False),
            bookings.c.picked_up.is_(False),
            bookings.c.starts < started_before,
            bookings.c.ends > now,
            ~held.exists(),
        )
        with self._tx() as conn:
            # a kiosk's commit may be picking one up right now: decide under the assets' locks
            lock(conn, sorted({asset for _id, asset in conn.execute(due)}))
            ids = [booking for booking, _asset in conn.execute(due)]
            if ids:
                conn.execute(
                    update(bookings)
                    .where(bookings.c.id.in_(ids))
                    .values(cancelled=True, released_at=now)
                )
                for booking in ids:
                    self._audit(conn, now, "hub", "booking.no_show", str(booking))
        return ids
