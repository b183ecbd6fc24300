"""Reads of the ledger and of what is out, for managers and the kiosks' replica."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from hub.domain.alerts import NOTICE_KINDS as NOTICE_KINDS
from hub.domain.strikes import StrikeRules
from hub.store import strike_reads
from hub.store.access_groups import category_groups
from hub.store.base import StoreBase
from hub.store.journal import HUB
from hub.store.replica_rows import (
    ASSET_COLUMNS,
    BADGE_COLUMNS,
    BOOKING_COLUMNS,
    HOLDING_COLUMNS,
    PERSON_COLUMNS,
    TRAINING_COLUMNS,
    ReplicaAssetRow,
    ReplicaBadgeRow,
    ReplicaBookingRow,
    ReplicaHoldingRow,
    ReplicaPersonRow,
    ReplicaRows,
    ReplicaTrainingRow,
)
from hub.store.rule_checks import RULE_BREACH
from hub.store.schema import (
    alerts,
    assets,
    badges,
    bookings,
    categories,
    conflicts,
    holdings,
    ledger,
    people,
    quarantine,
)
from hub.store.views import ItemOut, out_query


@dataclass(frozen=True)
class LedgerRow:
    id: str
    kiosk: str
    seq: int
    type: str
    at: datetime
    person: str | None
    asset: str | None
    due: datetime | None
    reason: str | None


# conflicts rows not made by the custody fold: a custody event refused for naming what the
# registry does not know, a badge enrolled at a kiosk that could not be given
UNREGISTERED = "unregistered"
ENROLMENT = "enrolment"


@dataclass(frozen=True)
class AnomalyRow:
    """A custody event a manager should look at (hub.domain.custody.Anomaly, or a refusal)."""

    detected_at: datetime
    asset: str
    kind: str
    detail: str
    event_id: str
    at: datetime | None  # the event's own time


ANOMALY_LABELS = {
    "double_lending": "lent twice",
    "not_on_loan": "returned, not on loan",
    "return_before_loan": "return dated before its loan",
    "stray_extension": "extended by a non-holder",
    UNREGISTERED: "refused: not registered",
    ENROLMENT: "badge not enrolled",
    RULE_BREACH: "lent against the rules",
    "conflict": "conflict",  # recorded before custody was derived in event order
}


@dataclass(frozen=True)
class Attention:
    anomalies: list[AnomalyRow]
    quarantined: int
    recent_quarantine: list[tuple[datetime, str | None, str, int]]  # last seen, ..., repeats


class Reads(StoreBase):
    def __init__(self, engine: Engine, strikes: StrikeRules) -> None:
        self.engine = engine
        self.strikes = strikes

    def ledger_rows(self, kiosk: str | None = None) -> list[LedgerRow]:
        q = select(
            ledger.c.id,
            ledger.c.kiosk,
            ledger.c.seq,
            ledger.c.type,
            ledger.c.at,
            ledger.c.person,
            ledger.c.asset,
            ledger.c.due,
            ledger.c.reason,
        ).order_by(ledger.c.kiosk, ledger.c.seq)
        if kiosk is not None:
            q = q.where(ledger.c.kiosk == kiosk)
        with self.engine.connect() as conn:
            return [LedgerRow(*row) for row in conn.execute(q)]

    def items_out(
        self,
        due_before: datetime | None = None,
        due_after: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
        homes: Collection[str] | None = None,
    ) -> list[ItemOut]:
        """What is out now, soonest due first; optionally only due in a window (by the index),
        or only items whose home is one of ``homes``."""
        q = out_query(due_before, homes).order_by(holdings.c.due, holdings.c.asset)
        if due_after is not None:
            q = q.where(holdings.c.due >= due_after)
        if limit is not None:
            q = q.limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [ItemOut(*row) for row in conn.execute(q)]

    def attention(self, limit: int = 10) -> Attention:
        """What a manager should look at: custody conflicts from offline kiosks and messages
        that could not be ingested (newest first)."""
        with self.engine.connect() as conn:
            conflict_rows = conn.execute(
                select(
                    conflicts.c.detected_at,
                    conflicts.c.asset,
                    func.coalesce(conflicts.c.kind, "conflict"),
                    conflicts.c.detail,
                    conflicts.c.event_id,
                    conflicts.c.at,
                )
                .where(conflicts.c.resolved.is_(False))
                .order_by(conflicts.c.id.desc())
                .limit(limit)
            ).all()
            count = conn.scalar(select(func.count()).select_from(quarantine)) or 0
            recent = conn.execute(  # a device still retrying stays on top
                select(
                    quarantine.c.last_at,
                    quarantine.c.kiosk,
                    quarantine.c.error,
                    quarantine.c.repeats,
                )
                .order_by(quarantine.c.last_at.desc(), quarantine.c.id.desc())
                .limit(limit)
            ).all()
        return Attention(
            anomalies=[AnomalyRow(*r) for r in conflict_rows],
            quarantined=int(count),
            recent_quarantine=[(r.last_at, r.kiosk, r.error, r.repeats) for r in recent],
        )

    def replica_rows(self, now: datetime) -> ReplicaRows:
        """Everything the kiosk replica is built from, read in one transaction."""
        with self.engine.connect() as conn:
            booking_rows = conn.execute(
                select(*BOOKING_COLUMNS)
                .where(bookings.c.cancelled.is_(False), bookings.c.ends > now)
                .order_by(bookings.c.asset, bookings.c.starts)
            ).all()
            person_rows = conn.execute(select(*PERSON_COLUMNS).order_by(people.c.id)).all()
            badge_rows = conn.execute(
                select(*BADGE_COLUMNS).where(badges.c.revoked.is_(False))
            ).all()
            asset_rows = conn.execute(select(*ASSET_COLUMNS).order_by(assets.c.code)).all()
            holding_rows = conn.execute(select(*HOLDING_COLUMNS).order_by(holdings.c.asset)).all()
            category_rows = conn.execute(select(categories)).all()
            category_groups_now = category_groups(conn)
            training_rows = conn.execute(select(*TRAINING_COLUMNS)).all()
            seqs = conn.execute(
                select(ledger.c.kiosk, func.max(ledger.c.seq))
                .where(ledger.c.kiosk != HUB)
                .group_by(ledger.c.kiosk)
            ).all()
            notices: dict[str, list[str]] = {}
            for person, text in conn.execute(
                select(alerts.c.person, alerts.c.text)
                .where(alerts.c.withdrawn_at.is_(None), alerts.c.kind.in_(NOTICE_KINDS))
                .order_by(alerts.c.raised_at)
            ):
                notices.setdefault(person, []).append(text)
            struck = strike_reads.strikes_of(conn, None, self.strikes, now - self.strikes.term)
        return ReplicaRows(
            people=[ReplicaPersonRow(*r) for r in person_rows],
            badges=[ReplicaBadgeRow(*r) for r in badge_rows],
            assets=[ReplicaAssetRow(*r) for r in asset_rows],
            holdings=[ReplicaHoldingRow(*r) for r in holding_rows],
            categories={r.name: (r.period, r.amount) for r in category_rows},
            bookings=[ReplicaBookingRow(*r) for r in booking_rows],
            requires={r.name: r.requires for r in category_rows if r.requires},
            groups=category_groups_now,
            trainings=[ReplicaTrainingRow(*r) for r in training_rows],
            kiosk_seqs={k: int(s) for k, s in seqs},
            strikes={p: len(found) for p, found in struck.items()},
            notices=notices,
        )
