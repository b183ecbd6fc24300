"""Alerts as rows: raised once (even across restarts), delivered per channel, withdrawn."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    delete,
    insert,
    or_,
    select,
    union,
    update,
)

from hub.domain.alerts import Alert, AlertKind
from hub.domain.sweeper import OpenLoan, Raise
from hub.store.base import StoreBase
from hub.store.locks import chunks, lock
from hub.store.schema import alerts, assets, holdings, ledger, people

Channel = Literal["email", "webhook", "mqtt"]
CHANNELS: tuple[Channel, ...] = ("email", "webhook", "mqtt")
_PIECE = 500  # values per IN list, as hub.store.locks.chunks


# the store's name for the record (hub.domain.alerts.Alert), read with its loan and withdrawal
AlertRow = Alert


@dataclass(frozen=True)
class SweepSlice:
    """What the sweeper needs of some assets: their loans due before its horizon (with the
    asset's and the person's names) and the ids of their open alerts. ``upto``: the last asset
    code of a range read in code order, None when the range ran to the end."""

    loans: list[tuple[OpenLoan, str, str]]
    open: list[str]
    upto: str | None = None


def _loan_query(before: datetime) -> Select[Any]:
    return (
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


def _slice(
    conn: Connection,
    before: datetime,
    held: Sequence[ColumnElement[bool]],
    alerted: Sequence[ColumnElement[bool]],
) -> tuple[list[tuple[OpenLoan, str, str]], list[str]]:
    loans = [
        (OpenLoan(a, p, e, d), an, pn)
        for a, p, e, d, an, pn in conn.execute(_loan_query(before).where(*held))
    ]
    opened = list(
        conn.scalars(select(alerts.c.id).where(*alerted, alerts.c.withdrawn_at.is_(None)))
    )
    return loans, opened


def _alert_query() -> Select[Any]:
    return select(
        alerts.c.id,
        alerts.c.kind,
        alerts.c.asset,
        assets.c.name.label("asset_name"),
        alerts.c.person,
        people.c.name.label("person_name"),
        people.c.email.label("person_email"),
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


def _alert(r: Row[Any]) -> Alert:
    return Alert(**r._mapping)


def withdraw(conn: Connection, ids: Sequence[str], now: datetime) -> None:
    """Close alerts; whoever heard the overdue news of a loan hears once that it ended."""
    ended: list[Row[Any]] = []
    for part in chunks(sorted(set(ids))):
        ended += conn.execute(
            select(alerts).where(alerts.c.id.in_(part), alerts.c.withdrawn_at.is_(None))
        ).all()
        conn.execute(
            update(alerts)
            .where(alerts.c.id.in_(part), alerts.c.withdrawn_at.is_(None))
            .values(withdrawn_at=now)
        )
    latest: dict[str, Any] = {}
    for row in ended:
        rank = AlertKind(row.kind).announced
        if rank is not None and (
            row.loan not in latest or rank > (AlertKind(latest[row.loan].kind).announced or 0)
        ):
            latest[row.loan] = row
    notices = []
    for row in latest.values():
        # only where the alert itself went out: nobody else needs to hear it is over
        unheard = {f"{ch}_at": now if row._mapping[f"{ch}_at"] is None else None for ch in CHANNELS}
        notices.append(
            {
                **unheard,
                "id": f"withdrawn:{row.id}"[:120],
                "kind": AlertKind.WITHDRAWN.value,
                "asset": row.asset,
                "person": row.person,
                "loan": row.loan,
                "due": row.due,
                "raised_at": now,
                "withdrawn_at": now,
                "text": f"No longer {row.kind}: {row.text}"[:300],
            }
        )
    if notices:
        conn.execute(insert(alerts), notices)


def _raise_again(conn: Connection, ids: Sequence[str], now: datetime) -> None:
    for part in chunks(ids):
        notices = [f"withdrawn:{i}"[:120] for i in part]
        conn.execute(delete(alerts).where(alerts.c.id.in_(notices)))
        conn.execute(
            update(alerts)
            .where(alerts.c.id.in_(part))
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
    def sweep_range(self, after: str | None, before: datetime, limit: int) -> SweepSlice:
        """The next ``limit`` held assets in code order after ``after`` (from the first when
        None): their loans due before ``before``, and the open alerts of every asset in that
        range, held or not. Successive ranges cover every asset once, so a whole pass reads
        the loans in pieces of a bounded size, by the holdings' primary key."""
        with self.engine.connect() as conn:
            keys = select(holdings.c.asset).order_by(holdings.c.asset).limit(limit)
            if after is not None:
                keys = keys.where(holdings.c.asset > after)
            codes = list(conn.scalars(keys))
            upto = codes[-1] if len(codes) == limit else None
            held: list[ColumnElement[bool]] = []
            alerted: list[ColumnElement[bool]] = []
            if after is not None:
                held.append(holdings.c.asset > after)
                alerted.append(alerts.c.asset > after)
            if upto is not None:
                held.append(holdings.c.asset <= upto)
                alerted.append(alerts.c.asset <= upto)
            loans, opened = _slice(conn, before, held, alerted)
        return SweepSlice(loans, opened, upto)

    def sweep_assets(self, codes: Sequence[str], before: datetime) -> SweepSlice:
        """Loans due before ``before`` and open alerts of these assets (at most a few hundred
        per call: one IN list each)."""
        with self.engine.connect() as conn:
            loans, opened = _slice(
                conn, before, [holdings.c.asset.in_(codes)], [alerts.c.asset.in_(codes)]
            )
        return SweepSlice(loans, opened)

    def sweep_candidates(
        self, windows: Sequence[tuple[datetime, datetime]], received_since: datetime
    ) -> list[str]:
        """Assets whose alerts may be due a change: a loan whose due time lies in one of the
        ``windows`` (``[lo, hi]``: it reached a stage since the last pass), or a custody event
        that arrived since ``received_since`` (a loan started, extended or ended). Two range
        reads, by the holdings' due index and the ledger's arrival index."""
        arrived = select(ledger.c.asset.label("asset")).where(
            ledger.c.received_at >= received_since, ledger.c.asset.is_not(None)
        )
        q: Any = arrived
        if windows:
            crossed = select(holdings.c.asset.label("asset")).where(
                or_(*(holdings.c.due.between(lo, hi) for lo, hi in windows))
            )
            q = union(crossed, arrived)
        with self.engine.connect() as conn:
            return sorted({code for code in conn.scalars(q) if code is not None})

    def open_alert_ids(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(alerts.c.id).where(alerts.c.withdrawn_at.is_(None))))

    def record_sweep(
        self, raised: list[tuple[Raise, str]], withdrawn: list[str], now: datetime
    ) -> None:
        """Store new alerts (id, text) and withdraw ended ones, in one transaction.

        An alert withdrawn before and wanted again (a late event ended its loan, a later one
        showed it goes on) is raised again and delivered again; its withdrawal notice is
        dropped, so a channel that has not sent it yet never does. Every read and write goes
        by pieces of a bounded size, so a pass may hand over any number of alerts."""
        with self._tx() as conn:
            # a commit that ends a loan withdraws its alerts under these locks: after them, an
            # alert is raised only for a loan that is still current, never left open on an
            # ended one
            codes = sorted({r.loan.asset for r, _ in raised})
            lock(conn, codes)
            current: set[tuple[str, datetime]] = set()
            for part in chunks(codes):
                current.update(
                    (loan, due)
                    for loan, due in conn.execute(
                        select(holdings.c.event_id, holdings.c.due).where(
                            holdings.c.asset.in_(part)
                        )
                    )
                )
            raised = [(r, text) for r, text in raised if (r.loan.loan, r.loan.due) in current]
            known: dict[str, datetime | None] = {}
            for ids in chunks(sorted({r.id for r, _ in raised})):
                known.update(
                    conn.execute(
                        select(alerts.c.id, alerts.c.withdrawn_at).where(alerts.c.id.in_(ids))
                    ).all()
                )
            again = [r.id for r, _ in raised if r.id in known and known[r.id] is not None]
            if again:
                _raise_again(conn, again, now)
            fresh = [
                {
                    "id": r.id,
                    "kind": r.stage.value,
                    "asset": r.loan.asset,
                    "person": r.loan.person,
                    "loan": r.loan.loan,
                    "due": r.loan.due,
                    "raised_at": now,
                    "text": text[:300],
                }
                for r, text in raised
                if r.id not in known
            ]
            if fresh:
                conn.execute(insert(alerts), fresh)
            if withdrawn:
                withdraw(conn, withdrawn, now)

    def undelivered(self, channel: Channel, limit: int = 100) -> list[AlertRow]:
        """Alerts this channel has not delivered yet, raised or withdrawn, oldest first."""
        column = alerts.c[f"{channel}_at"]
        # an alert withdrawn before it went out is not sent at all
        live = or_(alerts.c.withdrawn_at.is_(None), alerts.c.kind == AlertKind.WITHDRAWN.value)
        q = (
            _alert_query()
            .where(column.is_(None), live)
            .order_by(alerts.c.raised_at, alerts.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_alert(r) for r in conn.execute(q)]

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

    def recent_alerts(
        self,
        limit: int = 20,
        open_only: bool = False,
        homes: Collection[str] | None = None,
        managers_only: bool = False,
    ) -> list[AlertRow]:
        """The newest alerts; ``homes``: only about items whose home is one of these (a
        manager limited to some cages), ``managers_only``: only those meant for managers
        (escalations, items lost) rather than for the holder. Filtered before the limit, so
        a cage's or a kind's alerts are never crowded out by others'."""
        q = _alert_query().order_by(alerts.c.raised_at.desc(), alerts.c.id).limit(limit)
        if open_only:
            q = q.where(alerts.c.withdrawn_at.is_(None))
        if homes is not None:
            q = q.where(assets.c.home.in_(sorted(homes)))
        if managers_only:
            q = q.where(alerts.c.kind.in_([k.value for k in AlertKind if k.for_managers]))
        with self.engine.connect() as conn:
            return [_alert(r) for r in conn.execute(q)]

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
            return [_alert(r) for r in conn.execute(q)]
