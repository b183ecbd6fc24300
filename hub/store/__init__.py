"""The hub's database: the append-only ledger, its custody projection and the registry.

One transaction per ingest batch: ledger rows and projection move together, and the kiosk is
acknowledged only after it commits.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    create_engine,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import ConnectionPoolEntry

from hub.domain.custody import CLOCK_TOLERANCE, Kind, Order
from hub.domain.lifecycle import Status
from hub.domain.service import ServiceRule
from hub.domain.strikes import StrikeRules, earned_ban, settle_ban
from hub.errors import AlreadyExists, NotFound, StoreError
from hub.store import accruals, loan_weeks, migrate, strike_reads
from hub.store import custody as custody_store
from hub.store.access import AccessStore
from hub.store.access_groups import GroupStore, category_groups
from hub.store.accruals import EARLY_PICKUP as EARLY_PICKUP
from hub.store.alerting import AlertStore
from hub.store.among import PerDialect, among
from hub.store.audit import AuditStore
from hub.store.badge_owners import badge_owner
from hub.store.base import HUB
from hub.store.booking_writes import BookingWrites
from hub.store.borrower import BorrowerStore
from hub.store.editing import EditingStore
from hub.store.feed_tokens import FeedTokenStore
from hub.store.fleet import FleetStore
from hub.store.identities import IdentityStore
from hub.store.imports import ImportStore
from hub.store.locks import chunks, lock
from hub.store.pins import PinStore
from hub.store.places import PlaceStore, ensure_locations, limit_to
from hub.store.quarantine import Overflow as Overflow
from hub.store.quarantine import Quarantined as Quarantined
from hub.store.quarantine import QuarantineLimits as QuarantineLimits
from hub.store.quarantine import QuarantineStore
from hub.store.registry import RegistryStore, service_reason
from hub.store.reminders import ReminderStore
from hub.store.reports import ReportStore
from hub.store.rule_checks import RULE_BREACH, check_rules
from hub.store.schema import (
    alerts,
    assets,
    badges,
    bookings,
    categories,
    conflicts,
    counters,
    holdings,
    kiosk_status,
    kiosks,
    late_returns,
    ledger,
    people,
    quarantine,
    trainings,
    users,
)
from hub.store.stocktake import StocktakeStore
from hub.store.views import ItemOut as ItemOut
from hub.store.views import ViewStore
from hub.store.writes import execute_many
from wire import AckResult, CustodyEvent, EventType, KioskStatus
from wire.badges import normal_uid


@dataclass(frozen=True)
class Outcome:
    event: CustodyEvent
    result: AckResult
    error: str | None = None


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


@dataclass(frozen=True)
class AssetView:
    code: str
    name: str
    category: str
    status: str
    holder: str | None
    due: datetime | None
    history: list[tuple[Any, ...]]  # (at, type, person, kiosk, condition, reason)


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


@dataclass(frozen=True)
class User:
    username: str
    password_hash: str | None  # None: signs in through an identity provider
    role: str
    person: str | None = None  # whose account it is, if a person's


@dataclass(frozen=True)
class KioskRow:
    id: str
    name: str
    state: str | None
    updated_at: datetime | None
    status: str | None


def _sqlite_pragmas(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit acknowledged to a kiosk (which then deletes its copy) survives power loss.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    # The hub process checkpoints from a thread of its own (Store.checkpoint), so an ingest
    # commit never copies the log into the database file; this bound is only a backstop for
    # a process that does not (the CLI), 64 MB of log.
    cur.execute("PRAGMA wal_autocheckpoint=16384")
    # and the log file, once copied, is cut back to this size rather than kept at its largest
    cur.execute("PRAGMA journal_size_limit=67108864")
    cur.close()


# alerts a person sees at the kiosk; escalations are for managers
NOTICE_KINDS = ("due_soon", "overdue")

# events that move custody, re-derived in event order (hub.domain.custody)
CUSTODY_TYPES = tuple(EventType(kind.value) for kind in Kind)


class Store(
    BookingWrites,
    ReminderStore,
    RegistryStore,
    ImportStore,
    EditingStore,
    PlaceStore,
    PinStore,
    AlertStore,
    AccessStore,
    GroupStore,
    ReportStore,
    ViewStore,
    StocktakeStore,
    FleetStore,
    QuarantineStore,
    AuditStore,
    IdentityStore,
    BorrowerStore,
    FeedTokenStore,
):
    """All hub reads and writes go through here; SQLite for one machine, PostgreSQL beyond."""

    def __init__(self, engine: Engine, strikes: StrikeRules | None = None) -> None:
        self.engine = engine
        self._kiosks: dict[str, tuple[bytes, datetime]] = {}  # key, registered at
        self.strikes = strikes or StrikeRules()
        # how far a return may be stamped before the loan it ends (a kiosk clock behind)
        self.tolerance = CLOCK_TOLERANCE

    @classmethod
    def open(
        cls,
        url: str,
        *,
        upgrade: bool = True,
        strikes: StrikeRules | None = None,
        tolerance: timedelta = CLOCK_TOLERANCE,
        now: datetime | None = None,
    ) -> Store:
        """Open (and by default migrate) the database. A migration that changed how custody
        is derived leaves a mark; the first open after it re-derives every asset (audited)."""
        engine = create_engine(url, future=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine, strikes)
        store.tolerance = tolerance
        if upgrade:
            migrate.upgrade(engine)
            store._rederive_if_marked(now or datetime.now(UTC))
        return store

    def close(self) -> None:
        self.engine.dispose()

    def checkpoint(self) -> tuple[int, int]:
        """SQLite: copy what the write-ahead log holds into the database file, without waiting
        for or holding up readers and writers (PASSIVE); returns the log's pages and how many
        of them are now in the database file. Nothing to do on PostgreSQL: (0, 0)."""
        if self.engine.dialect.name != "sqlite":
            return 0, 0
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        return int(row[1]), int(row[2])

    # registry -----------------------------------------------------------------------------

    def add_person(
        self,
        person_id: str,
        name: str,
        badge_uids: Iterable[str] = (),
        staff: bool = False,
        email: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """A new person, with their badges (``wire.badges`` rule; BadUid for a bad one)."""
        uids = [normal_uid(uid) for uid in badge_uids]
        try:
            with self._tx() as conn:
                conn.execute(
                    insert(people).values(
                        id=person_id, name=name, active=True, staff=staff, email=email
                    )
                )
                for uid in dict.fromkeys(uids):
                    owner = badge_owner(conn, uid)
                    if owner is not None:
                        raise AlreadyExists(f"badge {uid} is registered to {owner}")
                    conn.execute(insert(badges).values(uid=uid, person_id=person_id, added_at=now))
        except IntegrityError as exc:
            raise AlreadyExists(f"person {person_id!r} or one of the badges exists") from exc

    def add_badge(self, person: str, uid: str, now: datetime | None = None) -> None:
        """Give a person another badge (a replacement card, a second card), or a revoked one
        again: each registration is kept, so a card's history shows who had it when."""
        uid = normal_uid(uid)
        try:
            with self._tx() as conn:
                if conn.scalar(select(people.c.id).where(people.c.id == person)) is None:
                    raise NotFound(f"no person {person!r}")
                owner = badge_owner(conn, uid)
                if owner == person:
                    raise AlreadyExists(f"badge {uid} is registered to {person} already")
                if owner is not None:
                    raise AlreadyExists(
                        f"badge {uid} is registered to {owner}: revoke it first "
                        f"(person revoke-badge {uid})"
                    )
                conn.execute(insert(badges).values(uid=uid, person_id=person, added_at=now))
        except IntegrityError as exc:  # registered by another writer meanwhile
            raise AlreadyExists(f"badge {uid} is registered already") from exc

    def revoke_badge(self, uid: str, now: datetime | None = None) -> tuple[str, bool]:
        """A lost or stolen badge stops working at every kiosk with the next replica. Returns
        whose badge it was and whether it was in use until now (revoking again changes
        nothing). The registration stays, marked revoked, as the card's history."""
        uid = normal_uid(uid)
        with self._tx() as conn:
            owner = badge_owner(conn, uid)
            if owner is None:
                last = conn.scalar(
                    select(badges.c.person_id)
                    .where(badges.c.uid == uid)
                    .order_by(badges.c.id.desc())
                    .limit(1)
                )
                if last is None:
                    raise NotFound(f"no badge {uid}")
                return last, False
            conn.execute(
                update(badges)
                .where(badges.c.uid == uid, badges.c.revoked.is_(False))
                .values(revoked=True, revoked_at=now)
            )
        return owner, True

    def add_asset(
        self,
        code: str,
        name: str,
        category: str,
        kit: str | None = None,
        *,
        now: datetime | None = None,
        actor: str = "hub",
        **details: Any,
    ) -> None:
        """Register an asset; ``kit`` makes it a piece of that kit (another asset).

        ``details`` are the registry fields (serial, home, value, acquired, cost, supplier...);
        with ``now`` the acquisition goes in the ledger as the start of the asset's life.
        """
        try:
            with self._tx() as conn:
                self._insert_asset(conn, code, name, category, kit, details)
                if now is not None:
                    self._acquired(conn, now, actor, code, details)
        except IntegrityError as exc:
            raise AlreadyExists(f"asset {code!r} exists") from exc

    def _insert_asset(
        self,
        conn: Connection,
        code: str,
        name: str,
        category: str,
        kit: str | None,
        details: dict[str, Any],
    ) -> None:
        if (
            kit is not None
            and conn.scalar(select(assets.c.code).where(assets.c.code == kit)) is None
        ):
            raise NotFound(f"no kit {kit!r}: add the kit itself first")
        if "location" not in details and details.get("home"):
            details = {**details, "location": details["home"]}
        ensure_locations(conn, (details.get("home"), details.get("location")), datetime.now(UTC))
        conn.execute(
            insert(assets).values(code=code, name=name, category=category, kit=kit, **details)
        )

    def _acquired(
        self, conn: Connection, now: datetime, actor: str, code: str, details: dict[str, Any]
    ) -> None:
        parts = [f"{k} {details[k]}" for k in ("acquired", "cost", "supplier") if details.get(k)]
        self._hub_event(
            conn,
            now,
            "lifecycle",
            code,
            actor=actor,
            reason="in_service",
            detail=", ".join(parts) or None,
        )
        self._audit(conn, now, actor, "asset.add", code, ", ".join(parts) or None)

    def set_loan_period(self, category: str, period: str, amount: int) -> None:
        """A category's loan period: ``minutes``, ``hours`` or ``days`` with an amount, or
        ``next_opening``."""
        self._category(category, period=period, amount=amount)

    def require_training(self, category: str, training: str | None) -> None:
        """Only people holding ``training`` may borrow items of ``category`` (None: anyone)."""
        self._category(category, requires=training)

    def grant_training(self, person: str, training: str, expires: datetime | None) -> None:
        with self._tx() as conn:
            if conn.scalar(select(people.c.id).where(people.c.id == person)) is None:
                raise NotFound(f"no person {person!r}")
            conn.execute(
                trainings.delete().where(trainings.c.person == person, trainings.c.name == training)
            )
            conn.execute(insert(trainings).values(person=person, name=training, expires=expires))

    def set_loan_hours(self, category: str, hours: int) -> None:
        self.set_loan_period(category, "hours", hours)

    def add_kiosk(
        self,
        kiosk_id: str,
        name: str,
        now: datetime,
        key: bytes | None = None,
        location: str | None = None,
    ) -> bytes:
        """Register a kiosk and return its signing key (made here unless given).

        ``location`` is the cage it stands in: items returned there are moved there.
        """
        key = key if key is not None else secrets.token_bytes(32)
        try:
            with self._tx() as conn:
                conn.execute(
                    insert(kiosks).values(
                        id=kiosk_id, name=name, hmac_key=key, created_at=now, location=location
                    )
                )
                ensure_locations(conn, (location,), now)
        except IntegrityError as exc:
            raise AlreadyExists(f"kiosk {kiosk_id!r} exists") from exc
        self._kiosks[kiosk_id] = (key, now)
        return key

    def kiosk_key(self, kiosk_id: str) -> bytes | None:
        found = self._kiosk(kiosk_id)
        return found[0] if found else None

    def kiosk_registered_at(self, kiosk_id: str) -> datetime | None:
        """When the kiosk was registered (its key made then), so ingest can refuse events
        dated before."""
        found = self._kiosk(kiosk_id)
        return found[1] if found else None

    def _kiosk(self, kiosk_id: str) -> tuple[bytes, datetime] | None:
        """A kiosk's signing key and registration time, cached: ingest asks for every event."""
        found = self._kiosks.get(kiosk_id)
        if found is None:
            with self.engine.connect() as conn:
                row = conn.execute(
                    select(kiosks.c.hmac_key, kiosks.c.created_at).where(kiosks.c.id == kiosk_id)
                ).first()
            if row is not None:
                found = self._kiosks[kiosk_id] = (row.hmac_key, row.created_at)
        return found

    def kiosks(self) -> list[KioskRow]:
        q = (
            select(
                kiosks.c.id,
                kiosks.c.name,
                kiosk_status.c.state,
                kiosk_status.c.updated_at,
                kiosk_status.c.payload,
            )
            .select_from(kiosks.outerjoin(kiosk_status, kiosk_status.c.kiosk == kiosks.c.id))
            .order_by(kiosks.c.id)
        )
        with self.engine.connect() as conn:
            return [KioskRow(*row) for row in conn.execute(q)]

    # ledger -------------------------------------------------------------------------------

    def commit_events(
        self, batch: Sequence[tuple[CustodyEvent, str]], now: datetime
    ) -> list[Outcome]:
        """Append new events, re-derive the custody they touch, and say for each what the
        kiosk is told, all in one transaction.

        A repeated event id is a duplicate (acknowledged, ignored). A new id reusing a kiosk's
        sequence number is refused: the kiosk's outbox state is broken and a person must look.
        A checkout, return or extension naming a person or an asset the registry does not know
        is refused with the reason, and the refusal is listed for managers.
        """
        outcomes: list[Outcome] = []
        if not batch:
            return outcomes
        with self._tx() as conn:
            # ids seen before; a number reused under a new id is found when its insert is
            # refused (see below), which saves a look-up per kiosk for every batch
            known = _ids_recorded(conn, [e for e, _ in batch])
            taken: dict[tuple[str, int], str] = {}
            # every asset row this commit may write, locked first and in code order (then
            # people, for bans): hub processes sharing a database take turns per asset and
            # never wait for each other in a circle. What is not there is not registered.
            locked = lock(conn, sorted({e.asset for e, _ in batch if e.asset is not None}))
            unknown = _unregistered(conn, [e for e, _ in batch if e.id not in known], locked)
            rows: list[dict[str, Any]] = []
            fresh: list[CustodyEvent] = []
            for ev, raw in batch:
                outcome = _decided(ev, known, taken)
                if outcome is None and ev.id in unknown:
                    self._refused(conn, ev, unknown[ev.id], now)
                    outcome = Outcome(ev, AckResult.REJECTED, unknown[ev.id])
                if outcome is not None:
                    outcomes.append(outcome)
                    continue
                rows.append(_ledger_values(ev, raw, now))
                known.add(ev.id)
                taken[(ev.kiosk, ev.seq)] = ev.id
                fresh.append(ev)
                outcomes.append(Outcome(ev, AckResult.COMMITTED))
            if not rows:
                return outcomes
            inserted = _append(conn, rows)
            if len(inserted) < len(rows):
                # a number the ledger has under another id, or another hub committed some of
                # these (or their numbers) since we looked
                lost = [ev for ev in fresh if ev.id not in inserted]
                known, taken = _recorded(conn, lost)
                for n, outcome in enumerate(outcomes):
                    if outcome.event.id in inserted or outcome.result is not AckResult.COMMITTED:
                        continue
                    again = _decided(outcome.event, known, taken)
                    if again is None:
                        raise StoreError("an event was neither stored nor found: try again")
                    outcomes[n] = again
                fresh = [ev for ev in fresh if ev.id in inserted]
            self._project(conn, fresh, now, locked)
        return outcomes

    def verify(self, now: datetime | None = None) -> list[custody_store.Difference]:
        """Replay the ledger and list where the stored projection differs from it: each
        asset's custody, then the bans people's late returns earn as of ``now`` (the
        wall clock unless given)."""
        found: list[custody_store.Difference] = []
        with self._snapshot() as conn:
            codes = custody_store.custody_assets(conn)
            for part in chunks(codes):
                found += custody_store.compare(conn, part, self.strikes.grace, self.tolerance)
            found += self._ban_differences(conn, now or datetime.now(UTC))
            found += custody_store.loan_differences(conn)
        return found

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A read-only view of one moment, while hubs go on committing: the ledger and what
        is stored from it are read as of the same commit."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            elif conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN")  # a WAL read transaction: one snapshot
            yield conn

    def repair(self, now: datetime, actor: str) -> list[custody_store.Difference]:
        """Re-derive every asset and ban that differs from the ledger's replay; audited.
        Returns what was different."""
        found = self.verify(now)
        if not found:
            return found
        codes = sorted({d.asset for d in found if d.asset is not None})
        with self._tx() as conn:
            people = {d.person for d in found if d.person is not None}
            people |= self._rederive(conn, codes, people, now)
            custody_store.repair_loans(conn, found)
            detail = (
                f"{_count(len(found), 'difference')} ({_count(len(codes), 'asset')}, "
                f"{_count(len(people), 'person', 'people')}) re-derived from the ledger"
            )
            self._audit(conn, now, actor, "ledger.repair", None, detail)
        return found

    def _rederive(
        self, conn: Connection, codes: Sequence[str], people: set[str], now: datetime
    ) -> set[str]:
        """Re-derive these assets from their whole history, then the bans of ``people`` and of
        everyone whose late returns that changed; returns whose bans were looked at."""
        people = set(people)
        for part in chunks(codes):
            applied = custody_store.apply(conn, part, now, self.strikes.grace, self.tolerance)
            people |= applied.people
        self._rejudge(conn, people, now)
        return people

    def _rederive_if_marked(self, now: datetime) -> None:
        """Re-derive every asset from the ledger once a migration asks for it, or when the
        rules the fold applies (grace, clock tolerance) or strikes are counted by (per visit or
        per item) are not those it last ran with: what was derived before an asset's rest
        point is never looked at again otherwise."""
        st = self.strikes
        fingerprint = f"{st.grace}|{self.tolerance}|{st.per}|{st.visit}"
        rules = zlib.crc32(fingerprint.encode()) & 0x7FFFFFFF
        with self.engine.connect() as conn:
            marks = dict(
                conn.execute(
                    select(counters.c.name, counters.c.value).where(
                        counters.c.name.in_([custody_store.REDERIVE, custody_store.RULES])
                    )
                ).all()
            )
        if not marks.get(custody_store.REDERIVE) and marks.get(custody_store.RULES) == rules:
            return
        with self._tx() as conn:
            codes = custody_store.custody_assets(conn)
            # how late returns count as strikes may have changed too: everyone's bans follow
            struck = select(late_returns.c.person).distinct()
            judged = set(
                conn.scalars(
                    select(people.c.id).where(
                        or_(people.c.id.in_(struck), people.c.blocked_until.is_not(None))
                    )
                )
            )
            self._rederive(conn, codes, judged, now)
            loan_weeks.rebuild(conn)
            conn.execute(
                counters.delete().where(
                    counters.c.name.in_([custody_store.REDERIVE, custody_store.RULES])
                )
            )
            conn.execute(insert(counters).values(name=custody_store.RULES, value=rules))
            if codes:
                detail = f"{_count(len(codes), 'asset')} re-derived from the ledger"
                self._audit(conn, now, "hub", "ledger.rederive", None, detail)

    def _refused(self, conn: Connection, ev: CustodyEvent, why: str, now: datetime) -> None:
        """A refused custody event goes on the managers' list once, whatever resends it."""
        listed = conn.scalar(
            select(conflicts.c.id).where(
                conflicts.c.event_id == ev.id, conflicts.c.kind == UNREGISTERED
            )
        )
        if listed is None:
            conn.execute(
                insert(conflicts).values(
                    detected_at=now,
                    asset=ev.asset or "-",
                    event_id=ev.id,
                    kind=UNREGISTERED,
                    at=ev.at,
                    detail=f"{ev.type.value} from {ev.kiosk} refused: {why}"[:500],
                )
            )

    def _enroll(self, conn: Connection, ev: CustodyEvent, now: datetime) -> None:
        """A badge enrolled at a kiosk joins the person's badges, unless someone has it, or it
        was revoked after the enrolment (an offline kiosk's event arriving late must not bring
        back a card reported lost meanwhile)."""
        assert ev.badge is not None and ev.person is not None
        owner = badge_owner(conn, ev.badge)
        known = conn.scalar(select(people.c.id).where(people.c.id == ev.person))
        revoked = conn.scalar(select(func.max(badges.c.revoked_at)).where(badges.c.uid == ev.badge))
        later = revoked is not None and revoked >= ev.at
        if owner is None and known is not None and not later:
            conn.execute(insert(badges).values(uid=ev.badge, person_id=ev.person, added_at=ev.at))
        elif owner != ev.person:
            held = f"held by {owner}" if owner else "no such person"
            if owner is None and known is not None:
                held = f"revoked after it, at {revoked:%Y-%m-%d %H:%M} UTC"
            detail = f"badge {ev.badge} enrolled for {ev.person} at {ev.kiosk}: {held}"
            conn.execute(
                insert(conflicts).values(
                    detected_at=now,
                    asset="-",
                    event_id=ev.id,
                    detail=detail,
                    kind=ENROLMENT,
                    at=ev.at,
                )
            )

    def _project(
        self,
        conn: Connection,
        fresh: Sequence[CustodyEvent],
        now: datetime,
        locked: dict[str, Any],
    ) -> None:
        """What the new events change. Custody (holders, late returns, problem tickets,
        anomalies, void alerts, status) is re-derived from each touched asset's history in
        event order (hub.store.custody); what only ever accumulates (where an item was seen,
        checkouts towards service, bookings picked up, stocktake counts) is added up for the
        batch (hub.store.accruals), the same in any order by construction."""
        ordered = sorted(fresh, key=lambda e: (e.at, e.kiosk, e.seq, e.id))
        first: dict[str, Order] = {}
        for e in ordered:
            if e.asset is not None and e.type in CUSTODY_TYPES and e.asset not in first:
                first[e.asset] = (e.at, e.kiosk, e.seq, e.id)
        applied = custody_store.apply(
            conn,
            sorted(first),
            now,
            self.strikes.grace,
            self.tolerance,
            locked=locked,
            new=first,
            added={e.id for e in fresh},  # the reports' loan sums change by what these change
        )
        for ev in ordered:
            if ev.type is EventType.ENROLL:
                self._enroll(conn, ev, now)
        check_rules(conn, ordered, locked, now)
        placed = accruals.places(conn, ordered)
        accrued = accruals.accrue(conn, ordered, locked, placed)
        accruals.write(conn, accrued)
        for booking, ev in accrued.late_pickups:
            self._late_pickup(conn, booking, ev, now)
        self._rejudge(conn, applied.people, now)
        # on the shelf now, whichever of its events arrived: an older checkout arriving after
        # the return counts towards service as much as one that came in order
        shelved = sorted(c for c, s in applied.status.items() if s == Status.AVAILABLE.value)
        self._service_checks(conn, shelved, locked, accrued, now)

    def _late_pickup(self, conn: Connection, booking: int, ev: CustodyEvent, now: datetime) -> None:
        """A booking released as a no-show was picked up after all (the kiosk that lent it
        was offline): it is restored and the release withdrawn, unless its slot was booked
        by someone else meanwhile; then a manager decides."""
        other = bookings.alias("other")
        mine = bookings.alias("mine")
        taken_since = conn.scalar(
            select(other.c.id)
            .select_from(other.join(mine, mine.c.id == booking))
            .where(
                other.c.asset == mine.c.asset,
                other.c.id != mine.c.id,
                other.c.cancelled.is_(False),
                other.c.starts < mine.c.ends,
                other.c.ends > mine.c.starts,
            )
            .limit(1)
        )
        detail = f"picked up at {ev.kiosk} at {ev.at:%Y-%m-%d %H:%M} UTC (event {ev.id})"
        if taken_since is not None:
            self._audit(conn, now, "hub", "booking.no_show_disputed", str(booking), detail)
            return
        conn.execute(
            update(bookings)
            .where(bookings.c.id == booking)
            .values(picked_up=True, cancelled=False, released_at=None)
        )
        self._audit(conn, now, "hub", "booking.no_show_withdrawn", str(booking), detail)

    def _service_checks(
        self,
        conn: Connection,
        codes: Sequence[str],
        locked: dict[str, Any],
        accrued: accruals.Accrued,
        now: datetime,
    ) -> None:
        """Items back on the shelf that are due for preventive service are held back."""
        if not codes:
            return
        named = sorted({locked[c].category for c in codes})
        rules = {
            name: ServiceRule(d, n)
            for name, d, n in conn.execute(_SERVICE_RULES.on(conn), {"keys": named})
        }
        for code in codes:
            row = locked[code]
            rule = rules.get(row.category)
            if rule is None or (rule.every_days is None and rule.every_checkouts is None):
                continue
            counted = accrued.assets.get(code, {}).get("checkouts", row.checkouts_since_service)
            why = service_reason(rule, row.last_service, row.acquired, counted, now)
            if why is not None:
                self.hold_for_service(conn, code, now, why)

    def _rejudge(self, conn: Connection, persons: Iterable[str], now: datetime) -> None:
        """Bring people's strike bans in line with their late returns as the ledger has them
        now: a run of strikes bans them; a late event that shows a return was not late after
        all shortens or lifts a ban the strikes made (never one a manager set). Audited."""
        named = sorted(set(persons))
        if not named:
            return
        # locked: two hubs' late returns for one person take turns
        rows = conn.execute(_BANS_LOCKED.on(conn), {"keys": named}).all()
        for person, current, _reason, change in self._ban_changes(conn, rows, now):
            self._ban(conn, person, current, change, now)

    def _ban_changes(
        self, conn: Connection, rows: Sequence[Any], now: datetime
    ) -> Iterator[tuple[str, datetime | None, str | None, tuple[datetime | None, str | None]]]:
        """For people's rows (id, blocked until, why): those whose block is not what their
        late returns earn as of ``now``, with what it should be."""
        times = self._strike_times(conn, [r.id for r in rows])
        for person, current, reason in rows:
            earned = earned_ban(times.get(person, []), now, self.strikes)
            change = settle_ban(current, reason, earned, now, self.strikes)
            if change is not None:
                yield person, current, reason, change

    def _ban(
        self,
        conn: Connection,
        person: str,
        current: datetime | None,
        change: tuple[datetime | None, str | None],
        now: datetime,
    ) -> None:
        until, why = change
        conn.execute(
            update(people)
            .where(people.c.id == person)
            .values(blocked_until=until, blocked_reason=why)
        )
        if until is None:
            self._audit(conn, now, "hub", "person.ban_withdrawn", person, "late returns re-derived")
        elif current is None or until != current:
            action = (
                "person.ban_shortened" if current is not None and until < current else "person.ban"
            )
            self._audit(conn, now, "hub", action, person, f"{why}, until {until:%Y-%m-%d}")

    def _strike_times(self, conn: Connection, persons: Sequence[str]) -> dict[str, list[datetime]]:
        """When each strike of these people's happened (hub.domain.strikes: per visit or per
        item, as configured)."""
        if not persons:
            return {}
        struck = strike_reads.strikes_of(conn, persons, self.strikes)
        return {person: [s.at for s in found] for person, found in struck.items()}

    def _ban_differences(self, conn: Connection, now: datetime) -> list[custody_store.Difference]:
        """People whose block is not what their late returns earn (see ``_rejudge``)."""
        found = []
        struck = select(late_returns.c.person).distinct()
        rows = conn.execute(
            select(people.c.id, people.c.blocked_until, people.c.blocked_reason).where(
                or_(people.c.id.in_(struck), people.c.blocked_until.is_not(None))
            )
        ).all()
        for person, current, reason, change in self._ban_changes(conn, rows, now):
            found.append(
                custody_store.Difference(
                    None,
                    "ban",
                    f"{current:%Y-%m-%d %H:%M} ({reason})" if current else "none",
                    f"{change[0]:%Y-%m-%d %H:%M} ({change[1]})" if change[0] else "none",
                    person=person,
                )
            )
        return found

    def record_status(
        self, status: KioskStatus, raw: str, now: datetime, *, live: bool = True
    ) -> None:
        """Keep a kiosk's latest status; a ``live`` one (not the broker's retained copy, which
        may be old) also measures the kiosk's clock against ``now``, the time of receipt."""
        with self._tx() as conn:
            if live:
                self._record_clock(conn, status, now)
            done = conn.execute(
                update(kiosk_status)
                .where(kiosk_status.c.kiosk == status.kiosk)
                .values(state=status.state.value, updated_at=now, payload=raw)
            )
            if done.rowcount == 0:
                conn.execute(
                    insert(kiosk_status).values(
                        kiosk=status.kiosk, state=status.state.value, updated_at=now, payload=raw
                    )
                )

    # reads --------------------------------------------------------------------------------

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
        q = (
            select(
                holdings.c.asset,
                assets.c.name,
                assets.c.category,
                holdings.c.person,
                people.c.name,
                holdings.c.since,
                holdings.c.due,
                holdings.c.kiosk,
            )
            .select_from(
                holdings.join(assets, assets.c.code == holdings.c.asset).join(
                    people, people.c.id == holdings.c.person
                )
            )
            .order_by(holdings.c.due, holdings.c.asset)
        )
        if due_before is not None:
            q = q.where(holdings.c.due < due_before)
        if due_after is not None:
            q = q.where(holdings.c.due >= due_after)
        if homes is not None:
            q = q.where(assets.c.home.in_(sorted(homes)))
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

    def asset(self, code: str) -> AssetView | None:
        """One asset with who holds it and its latest custody events, newest first: a summary
        of ``asset_detail``."""
        detail = self.asset_detail(code)
        if detail is None:
            return None
        row, held = detail["asset"], detail["holder"]
        return AssetView(
            code=row["code"],
            name=row["name"],
            category=row["category"],
            status=row["status"],
            holder=held["name"] if held else None,
            due=held["due"] if held else None,
            history=[
                (t["at"], t["type"], t["person"], t["kiosk"], t["condition"], t["reason"])
                for t in detail["timeline"][:20]
            ],
        )

    def conflicts(self) -> list[tuple[str, str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(conflicts.c.asset, conflicts.c.event_id, conflicts.c.detail).order_by(
                    conflicts.c.id
                )
            )
            return [(r.asset, r.event_id, r.detail) for r in rows]

    def replica_rows(self, now: datetime) -> dict[str, Any]:
        """Everything the kiosk replica is built from, read in one transaction."""
        with self.engine.connect() as conn:
            booking_rows = conn.execute(
                select(bookings.c.asset, bookings.c.person, bookings.c.starts, bookings.c.ends)
                .where(bookings.c.cancelled.is_(False), bookings.c.ends > now)
                .order_by(bookings.c.asset, bookings.c.starts)
            ).all()
            person_rows = conn.execute(select(people).order_by(people.c.id)).all()
            badge_rows = conn.execute(
                select(badges.c.uid, badges.c.person_id).where(badges.c.revoked.is_(False))
            ).all()
            asset_rows = conn.execute(select(assets).order_by(assets.c.code)).all()
            holding_rows = conn.execute(select(holdings).order_by(holdings.c.asset)).all()
            category_rows = conn.execute(select(categories)).all()
            category_groups_now = category_groups(conn)
            training_rows = conn.execute(select(trainings)).all()
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
        return {
            "people": [r._asdict() for r in person_rows],
            "badges": [r._asdict() for r in badge_rows],
            "assets": [r._asdict() for r in asset_rows],
            "holdings": [r._asdict() for r in holding_rows],
            "categories": {r.name: (r.period, r.amount) for r in category_rows},
            "bookings": [r._asdict() for r in booking_rows],
            "requires": {r.name: r.requires for r in category_rows if r.requires},
            "groups": category_groups_now,
            "trainings": [r._asdict() for r in training_rows],
            "kiosk_seqs": {k: int(s) for k, s in seqs},
            "strikes": {p: len(found) for p, found in struck.items()},
            "notices": notices,
        }

    # users --------------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        password_hash: str | None,
        role: str,
        now: datetime,
        by: str | None = None,
        cages: Sequence[str] = (),
        person: str | None = None,
    ) -> None:
        """Store a new user, limited to ``cages`` if any are given (in the same transaction, so
        a limited user is never briefly unlimited), and ``person``'s account if one is named;
        ``by`` (who made it) goes in the audit log with it. NotFound if the person is unknown,
        AlreadyExists if the name is taken or the person has an account already."""
        try:
            with self._tx() as conn:
                if (
                    person is not None
                    and conn.scalar(select(people.c.id).where(people.c.id == person)) is None
                ):
                    raise NotFound(f"no person {person!r}")
                conn.execute(
                    insert(users).values(
                        username=username,
                        password_hash=password_hash,
                        role=role,
                        created_at=now,
                        person_id=person,
                    )
                )
                limit_to(conn, username, cages)
                if by is not None:
                    detail = f"{role}, {', '.join(sorted(cages)) or 'every cage'}"
                    if person is not None:
                        detail += f", person {person}"
                    self._audit(conn, now, by, "user.add", username, detail)
        except IntegrityError as exc:
            taken = person is not None and self.user_of_person(person) is not None
            what = f"person {person!r} has an account" if taken else f"user {username!r} exists"
            raise AlreadyExists(what) from exc

    def get_user(self, username: str) -> User | None:
        return self._one_user(users.c.username == username)

    def user_of_person(self, person: str) -> User | None:
        """The account that is ``person``'s, if they have one."""
        return self._one_user(users.c.person_id == person)

    def _one_user(self, where: ColumnElement[bool]) -> User | None:
        q = select(users.c.username, users.c.password_hash, users.c.role, users.c.person_id)
        with self.engine.connect() as conn:
            row = conn.execute(q.where(where)).first()
        return User(*row) if row is not None else None


def _recorded(
    conn: Connection, events: Sequence[CustodyEvent]
) -> tuple[set[str], dict[tuple[str, int], str]]:
    """Which of these events' ids the ledger has, and which of their (kiosk, seq) numbers it
    has and under which id."""
    known: set[str] = set()
    taken: dict[tuple[str, int], str] = {}
    for i in range(0, len(events), _LOOKUP):
        part = events[i : i + _LOOKUP]
        ids = {e.id for e in part}
        seqs: dict[str, set[int]] = {}
        for e in part:
            seqs.setdefault(e.kiosk, set()).add(e.seq)
        # per kiosk, so the (kiosk, seq) index finds each number (a row-value IN list made
        # SQLite read every row of the kiosk's); one query for both questions
        found = or_(
            ledger.c.id.in_(sorted(ids)),
            *(
                and_(ledger.c.kiosk == kiosk, ledger.c.seq.in_(sorted(numbers)))
                for kiosk, numbers in seqs.items()
            ),
        )
        for row in conn.execute(select(ledger.c.kiosk, ledger.c.seq, ledger.c.id).where(found)):
            if row.id in ids:
                known.add(row.id)
            if row.seq in seqs.get(row.kiosk, ()):
                taken[(row.kiosk, row.seq)] = row.id
    return known, taken


# events per look-up in the ledger: each binds its id and its number
_LOOKUP = 250
_SQLITE_APPEND = sqlite_insert(ledger).on_conflict_do_nothing()
_IDS_RECORDED = PerDialect(lambda dialect: select(ledger.c.id).where(among(ledger.c.id, dialect)))
_PEOPLE_KNOWN = PerDialect(lambda dialect: select(people.c.id).where(among(people.c.id, dialect)))
_BANS_LOCKED = PerDialect(
    lambda dialect: (
        select(people.c.id, people.c.blocked_until, people.c.blocked_reason)
        .where(among(people.c.id, dialect))
        .order_by(people.c.id)
        .with_for_update()
    )
)
_SERVICE_RULES = PerDialect(
    lambda dialect: select(
        categories.c.name, categories.c.service_days, categories.c.service_checkouts
    ).where(among(categories.c.name, dialect))
)


def _ids_recorded(conn: Connection, events: Sequence[CustodyEvent]) -> set[str]:
    """Which of these events' ids the ledger has (one statement, compiled once)."""
    return _ids_recorded_among(conn, sorted({e.id for e in events}))


def _ids_recorded_among(conn: Connection, ids: Sequence[str]) -> set[str]:
    return set(conn.scalars(_IDS_RECORDED.on(conn), {"keys": ids})) if ids else set()


def _decided(
    ev: CustodyEvent, known: set[str], taken: dict[tuple[str, int], str]
) -> Outcome | None:
    """A known id is a duplicate; a known number under another id is refused."""
    clash = taken.get((ev.kiosk, ev.seq))
    if ev.id in known or clash == ev.id:
        return Outcome(ev, AckResult.DUPLICATE)
    if clash is not None:
        return Outcome(ev, AckResult.REJECTED, f"sequence {ev.seq} already used by {clash}")
    return None


def _append(conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert ledger rows, skipping any another hub process has committed meanwhile (same id
    or same kiosk number); returns the ids inserted. In id order, so two hubs inserting
    overlapping batches wait for each other, never deadlock."""
    rows = sorted(rows, key=lambda r: str(r["id"]))
    dialect = conn.dialect.name
    if dialect == "sqlite":
        # no RETURNING, so the rows go to the driver as they are: the transaction has held
        # SQLite's only write lock since it began, so none of these ids was added since the
        # look-up, and a row refused here clashed on its kiosk's number (it is not stored)
        ids = {str(r["id"]) for r in rows}
        if execute_many(conn, _SQLITE_APPEND, rows) == len(rows):
            return ids
        return _ids_recorded_among(conn, sorted(ids))
    if dialect != "postgresql":
        conn.execute(insert(ledger), rows)
        return {str(r["id"]) for r in rows}
    stmt = (sqlite_insert if dialect == "sqlite" else pg_insert)(ledger)
    return set(conn.scalars(stmt.on_conflict_do_nothing().returning(ledger.c.id), rows))


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _unregistered(
    conn: Connection, events: Sequence[CustodyEvent], have_assets: dict[str, Any]
) -> dict[str, str]:
    """Custody events naming a person or an asset the registry does not have (``have_assets``:
    the registered ones among those named), with why: a phantom holding would follow them."""
    custody = [e for e in events if e.type in CUSTODY_TYPES]
    persons = sorted({e.person for e in custody if e.person and e.type is not EventType.RETURN})
    have_people = set(conn.scalars(_PEOPLE_KNOWN.on(conn), {"keys": persons})) if persons else set()
    found: dict[str, str] = {}
    for e in custody:
        if e.asset is not None and e.asset not in have_assets:
            found[e.id] = f"unknown asset {e.asset!r}: register it first"
        elif e.type is not EventType.RETURN and e.person not in have_people:
            found[e.id] = f"unknown person {e.person!r}: register them first"
    return found


def _ledger_values(ev: CustodyEvent, raw: str, now: datetime) -> dict[str, Any]:
    return {
        "id": ev.id,
        "kiosk": ev.kiosk,
        "seq": ev.seq,
        "type": ev.type.value,
        "at": ev.at,
        "session": ev.session,
        "badge": ev.badge,
        "person": ev.person,
        "asset": ev.asset,
        "due": ev.due,
        "condition": ev.condition.value if ev.condition else None,
        "reason": ev.reason.value if ev.reason else None,
        "detail": ev.detail,
        "received_at": now,
        "payload": raw,
    }
