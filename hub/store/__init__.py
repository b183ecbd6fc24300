"""The hub's database: the append-only ledger, its custody projection and the registry.

One transaction per ingest batch: ledger rows and projection move together, and the kiosk is
acknowledged only after it commits.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import ConnectionPoolEntry

from hub import projection
from hub.domain.strikes import StrikeRules, ban_until, minutes_late
from hub.errors import AlreadyExists, BookingConflict, NotFound
from hub.store import migrate
from hub.store.access import AccessStore
from hub.store.alerting import AlertStore
from hub.store.base import HUB
from hub.store.registry import RegistryStore
from hub.store.reports import ReportStore
from hub.store.schema import (
    alerts,
    assets,
    badges,
    bookings,
    categories,
    conflicts,
    holdings,
    kiosk_status,
    kiosks,
    late_returns,
    ledger,
    people,
    quarantine,
    quarantine_digest,
    trainings,
    users,
)
from hub.store.stocktake import StocktakeStore
from hub.store.views import ViewStore
from wire import AckResult, CustodyEvent, EventType, KioskStatus


@dataclass(frozen=True)
class Outcome:
    event: CustodyEvent
    result: AckResult
    error: str | None = None


@dataclass(frozen=True)
class ItemOut:
    asset: str
    asset_name: str
    category: str
    person: str
    person_name: str
    since: datetime
    due: datetime
    kiosk: str


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


@dataclass(frozen=True)
class Attention:
    conflicts: list[tuple[datetime, str, str]]
    quarantined: int
    recent_quarantine: list[tuple[datetime, str | None, str, int]]  # last seen, ..., repeats


@dataclass(frozen=True)
class Quarantined:
    """A message kept as received, and how often the same bytes came again on the same topic."""

    id: int
    received_at: datetime  # first seen
    last_at: datetime  # last seen
    repeats: int  # copies after the first
    topic: str
    kiosk: str | None
    error: str
    payload: bytes


@dataclass(frozen=True)
class User:
    username: str
    password_hash: str
    role: str


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
    cur.close()


# A booker who takes the item this long before the booking starts has picked it up.
EARLY_PICKUP = timedelta(hours=2)

# One strike per return: the items brought back late in one kiosk session count once.
STRIKE = func.coalesce(late_returns.c.session, late_returns.c.event_id)

# alerts a person sees at the kiosk; escalations are for managers
NOTICE_KINDS = ("due_soon", "overdue")


class Store(RegistryStore, AlertStore, AccessStore, ReportStore, ViewStore, StocktakeStore):
    """All hub reads and writes go through here; SQLite for one machine, PostgreSQL beyond."""

    def __init__(self, engine: Engine, strikes: StrikeRules | None = None) -> None:
        self.engine = engine
        self._keys: dict[str, bytes] = {}
        self.strikes = strikes or StrikeRules()

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> Store:
        engine = create_engine(url, future=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        if upgrade:
            migrate.upgrade(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # registry -----------------------------------------------------------------------------

    def add_person(
        self,
        person_id: str,
        name: str,
        badge_uids: Iterable[str] = (),
        staff: bool = False,
        email: str | None = None,
    ) -> None:
        try:
            with self._tx() as conn:
                conn.execute(
                    insert(people).values(
                        id=person_id, name=name, active=True, staff=staff, email=email
                    )
                )
                for uid in badge_uids:
                    conn.execute(insert(badges).values(uid=uid.upper(), person_id=person_id))
        except IntegrityError as exc:
            raise AlreadyExists(f"person {person_id!r} or one of the badges exists") from exc

    def add_badge(self, person: str, uid: str) -> None:
        """Give a person another badge (a replacement card, a second card)."""
        try:
            with self._tx() as conn:
                if conn.scalar(select(people.c.id).where(people.c.id == person)) is None:
                    raise NotFound(f"no person {person!r}")
                conn.execute(insert(badges).values(uid=uid.upper(), person_id=person))
        except IntegrityError as exc:
            raise AlreadyExists(f"badge {uid.upper()} is registered already") from exc

    def revoke_badge(self, uid: str) -> None:
        """A lost or stolen badge stops working at every kiosk with the next replica."""
        with self._tx() as conn:
            done = conn.execute(
                update(badges).where(badges.c.uid == uid.upper()).values(revoked=True)
            )
        if done.rowcount == 0:
            raise NotFound(f"no badge {uid.upper()}")

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

    def import_assets(self, rows: Sequence[dict[str, Any]], now: datetime, actor: str) -> int:
        """Add new assets and update known ones from validated rows, all or nothing.

        A row changes only the columns the file has (a blank cell clears one); a blank status
        keeps the current one, and an item out on loan keeps "out" whatever the file says.
        Kits may be listed after their pieces; they are inserted first.
        """
        ordered = sorted(rows, key=lambda r: r.get("kit") is not None)
        with self._tx() as conn:
            status = dict(
                conn.execute(
                    select(assets.c.code, assets.c.status).where(
                        assets.c.code.in_([r["code"] for r in rows])
                    )
                ).all()
            )
            for row in ordered:
                values = {k: v for k, v in row.items() if k != "code"}
                if not values.get("status") or status.get(row["code"]) == "out":
                    values.pop("status", None)
                if (
                    values.get("kit") is not None
                    and conn.scalar(select(assets.c.code).where(assets.c.code == values["kit"]))
                    is None
                ):
                    raise NotFound(f"{row['code']}: no kit {values['kit']!r}")
                if row["code"] in status:
                    conn.execute(
                        update(assets).where(assets.c.code == row["code"]).values(**values)
                    )
                    if values.get("status", status[row["code"]]) != status[row["code"]]:
                        self._hub_event(
                            conn,
                            now,
                            "lifecycle",
                            row["code"],
                            actor=actor,
                            reason=values["status"],
                            detail="set by an import",
                        )
                    continue
                details = {k: v for k, v in values.items() if k not in ("name", "category", "kit")}
                self._insert_asset(
                    conn, row["code"], row["name"], row["category"], row.get("kit"), details
                )
                self._acquired(conn, now, actor, row["code"], details)
            self._audit(conn, now, actor, "asset.import", None, f"{len(rows)} rows")
        return len(rows)

    def import_people(self, rows: Sequence[dict[str, Any]], now: datetime, actor: str) -> int:
        """Add or update people and their badges from validated rows, all or nothing; a row
        changes only the columns the file has, and badges are only ever added."""
        with self._tx() as conn:
            for row in rows:
                values: dict[str, Any] = {k: row[k] for k in ("name", "email") if k in row}
                if "groups" in row:
                    values["groups"] = ";".join(row["groups"] or []) or None
                if "staff" in row:
                    values["staff"] = bool(row["staff"])
                done = conn.execute(update(people).where(people.c.id == row["id"]).values(**values))
                if done.rowcount == 0:
                    conn.execute(
                        insert(people).values(
                            id=row["id"], active=True, **{"staff": False, **values}
                        )
                    )
                for uid in row.get("badges") or []:
                    owner = conn.scalar(select(badges.c.person_id).where(badges.c.uid == uid))
                    if owner is None:
                        conn.execute(insert(badges).values(uid=uid, person_id=row["id"]))
                    elif owner != row["id"]:
                        raise AlreadyExists(f"{row['id']}: badge {uid} belongs to {owner}")
            self._audit(conn, now, actor, "person.import", None, f"{len(rows)} rows")
        return len(rows)

    def set_loan_period(self, category: str, period: str, amount: int) -> None:
        """A category's loan period: ``hours`` or ``days`` with an amount, or ``next_opening``."""
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
        except IntegrityError as exc:
            raise AlreadyExists(f"kiosk {kiosk_id!r} exists") from exc
        self._keys[kiosk_id] = key
        return key

    def kiosk_key(self, kiosk_id: str) -> bytes | None:
        key = self._keys.get(kiosk_id)
        if key is None:
            with self.engine.connect() as conn:
                key = conn.scalar(select(kiosks.c.hmac_key).where(kiosks.c.id == kiosk_id))
            if key is not None:
                self._keys[kiosk_id] = key
        return key

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

    def add_booking(
        self, asset: str, person: str, starts: datetime, ends: datetime, now: datetime
    ) -> int:
        """Reserve an asset for a person; refused (BookingConflict) if it overlaps another."""
        if ends <= starts:
            raise ValueError("a booking must end after it starts")
        with self._tx() as conn:
            if conn.scalar(select(assets.c.code).where(assets.c.code == asset)) is None:
                raise NotFound(f"no asset {asset!r}")
            if conn.scalar(select(people.c.id).where(people.c.id == person)) is None:
                raise NotFound(f"no person {person!r}")
            clash = conn.execute(
                select(bookings.c.person, bookings.c.starts, bookings.c.ends).where(
                    bookings.c.asset == asset,
                    bookings.c.cancelled.is_(False),
                    bookings.c.starts < ends,
                    bookings.c.ends > starts,
                )
            ).first()
            if clash is not None:
                raise BookingConflict(
                    f"{asset} is booked by {clash.person} from {clash.starts:%Y-%m-%d %H:%M} "
                    f"to {clash.ends:%Y-%m-%d %H:%M} UTC"
                )
            result = conn.execute(
                insert(bookings).values(
                    asset=asset, person=person, starts=starts, ends=ends, created_at=now
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def cancel_booking(self, booking_id: int) -> None:
        with self._tx() as conn:
            done = conn.execute(
                update(bookings).where(bookings.c.id == booking_id).values(cancelled=True)
            )
        if done.rowcount == 0:
            raise NotFound(f"no booking {booking_id}")

    # ledger -------------------------------------------------------------------------------

    def commit_events(
        self, batch: Sequence[tuple[CustodyEvent, str]], now: datetime
    ) -> list[Outcome]:
        """Append new events, update the projection, and say for each what the kiosk is told.

        A repeated event id is a duplicate (acknowledged, ignored). A new id reusing a kiosk's
        sequence number is refused: the kiosk's outbox state is broken and a person must look.
        """
        outcomes: list[Outcome] = []
        with self._tx() as conn:
            ids = [e.id for e, _ in batch]
            known = set(conn.scalars(select(ledger.c.id).where(ledger.c.id.in_(ids))))
            pairs = [(e.kiosk, e.seq) for e, _ in batch]
            taken = {
                (row.kiosk, row.seq): row.id
                for row in conn.execute(
                    select(ledger.c.kiosk, ledger.c.seq, ledger.c.id).where(
                        tuple_(ledger.c.kiosk, ledger.c.seq).in_(pairs)
                    )
                )
            }
            for ev, raw in batch:
                if ev.id in known:
                    outcomes.append(Outcome(ev, AckResult.DUPLICATE))
                    continue
                clash = taken.get((ev.kiosk, ev.seq))
                if clash is not None:
                    outcomes.append(
                        Outcome(
                            ev, AckResult.REJECTED, f"sequence {ev.seq} already used by {clash}"
                        )
                    )
                    continue
                conn.execute(insert(ledger).values(_ledger_values(ev, raw, now)))
                known.add(ev.id)
                if ev.type is EventType.ENROLL:
                    self._enroll(conn, ev, now)
                taken[(ev.kiosk, ev.seq)] = ev.id
                self._project(conn, ev, now)
                outcomes.append(Outcome(ev, AckResult.COMMITTED))
        return outcomes

    def _enroll(self, conn: Connection, ev: CustodyEvent, now: datetime) -> None:
        """A badge enrolled at a kiosk joins the person's badges, unless someone has it."""
        assert ev.badge is not None and ev.person is not None
        owner = conn.scalar(select(badges.c.person_id).where(badges.c.uid == ev.badge))
        known = conn.scalar(select(people.c.id).where(people.c.id == ev.person))
        if owner is None and known is not None:
            conn.execute(insert(badges).values(uid=ev.badge, person_id=ev.person))
        elif owner != ev.person:
            held = f"held by {owner}" if owner else "no such person"
            detail = f"badge {ev.badge} enrolled for {ev.person} at {ev.kiosk}: {held}"
            conn.execute(
                insert(conflicts).values(detected_at=now, asset="-", event_id=ev.id, detail=detail)
            )

    def _project(self, conn: Connection, ev: CustodyEvent, now: datetime) -> None:
        if ev.asset is None:
            return
        if ev.type is EventType.SEEN:
            place = self._seen_at(conn, ev.asset, ev.kiosk, ev.at)
            if place:
                self.count_seen(conn, ev.asset, place, ev.at)
            return
        row = conn.execute(select(holdings).where(holdings.c.asset == ev.asset)).first()
        current = projection.Holding(**row._mapping) if row is not None else None
        change = projection.apply(current, ev)
        if change.conflict:
            conn.execute(
                insert(conflicts).values(
                    detected_at=now, asset=ev.asset, event_id=ev.id, detail=change.conflict
                )
            )
        if change.status is not None:
            conn.execute(
                update(assets).where(assets.c.code == ev.asset).values(status=change.status)
            )
        if not change.touched:
            return
        conn.execute(holdings.delete().where(holdings.c.asset == ev.asset))
        if change.holding is not None:
            h = change.holding
            conn.execute(
                insert(holdings).values(
                    asset=h.asset,
                    person=h.person,
                    since=h.since,
                    due=h.due,
                    kiosk=h.kiosk,
                    event_id=h.event_id,
                    renewals=h.renewals,
                )
            )
        if ev.type is EventType.CHECKOUT:
            self._lent(conn, ev)
        elif ev.type is EventType.RETURN and current is not None:
            self._returned(conn, ev, current, now)

    def _lent(self, conn: Connection, ev: CustodyEvent) -> None:
        """Count the checkout towards service, and mark the borrower's booking picked up."""
        conn.execute(
            update(assets)
            .where(assets.c.code == ev.asset)
            .values(checkouts_since_service=assets.c.checkouts_since_service + 1)
        )
        conn.execute(
            update(bookings)
            .where(
                bookings.c.asset == ev.asset,
                bookings.c.person == ev.person,
                bookings.c.cancelled.is_(False),
                bookings.c.starts <= ev.at + EARLY_PICKUP,
                bookings.c.ends > ev.at,
            )
            .values(picked_up=True)
        )

    def _returned(
        self, conn: Connection, ev: CustodyEvent, loan: projection.Holding, now: datetime
    ) -> None:
        """A return: where the item is now, whether it was late, what it needs."""
        assert ev.asset is not None
        self._seen_at(conn, ev.asset, ev.kiosk, ev.at)
        late = minutes_late(loan.due, ev.at, self.strikes)
        if late is not None:
            conn.execute(
                insert(late_returns).values(
                    person=loan.person,
                    asset=ev.asset,
                    due=loan.due,
                    returned=ev.at,
                    minutes_late=late,
                    event_id=ev.id,
                    session=ev.session,
                )
            )
            self._strike(conn, loan.person, ev.at, now)
        if ev.condition in projection.PROBLEMS:
            assert ev.condition is not None
            self.open_ticket(
                conn,
                now,
                ev.asset,
                ev.condition.value,
                ev.detail or f"reported {ev.condition.value} at {ev.kiosk}",
                person=loan.person,
                event_id=ev.id,
                loan_event_id=loan.event_id,
            )
        else:
            self.check_service(conn, ev.asset, now)

    def _seen_at(self, conn: Connection, asset: str, kiosk: str, at: datetime) -> str | None:
        """The item was in hand at this kiosk: it is where the kiosk stands, as of ``at``;
        returns that place, if the kiosk has one."""
        place = conn.scalar(select(kiosks.c.location).where(kiosks.c.id == kiosk))
        seen: dict[str, Any] = {"last_seen": at}
        if place:
            seen["location"] = place
        conn.execute(
            update(assets)
            .where(
                assets.c.code == asset,
                or_(assets.c.last_seen.is_(None), assets.c.last_seen <= at),
            )
            .values(**seen)
        )
        return str(place) if place else None

    def _strike(self, conn: Connection, person: str, at: datetime, now: datetime) -> None:
        """A late return may complete a run of strikes that bans the person for a while."""
        since = at - self.strikes.term
        returns = list(
            conn.scalars(
                select(func.min(late_returns.c.returned))
                .where(
                    late_returns.c.person == person,
                    late_returns.c.returned >= since,
                    late_returns.c.forgiven.is_(False),
                )
                .group_by(STRIKE)
            )
        )
        until = ban_until(returns, at, self.strikes)
        if until is None:
            return
        current = conn.scalar(select(people.c.blocked_until).where(people.c.id == person))
        if current is not None and current >= until:
            return
        reason = f"{len(returns)} late returns in {self.strikes.term.days} days"
        conn.execute(
            update(people)
            .where(people.c.id == person)
            .values(blocked_until=until, blocked_reason=reason)
        )
        self._audit(conn, now, "hub", "person.ban", person, f"{reason}, until {until:%Y-%m-%d}")

    def quarantine(
        self, topic: str, kiosk: str | None, error: str, payload: bytes, now: datetime
    ) -> None:
        """Keep a message that could not be ingested, as received, for a person to inspect.

        The same message again (same topic and bytes: a device retrying) only counts up on the
        row it has, with when it was last seen and the latest reason.
        """
        topic, error = _printable(topic)[:300], _printable(error)[:500]
        values = {
            "received_at": now,
            "topic": topic,
            "kiosk": kiosk,
            "error": error,
            "payload": payload,
            "digest": quarantine_digest(topic, payload),
            "repeats": 0,
            "last_at": now,
        }
        again = {"repeats": quarantine.c.repeats + 1, "last_at": now, "error": error}
        with self._tx() as conn:
            dialect = conn.dialect.name
            if dialect in ("sqlite", "postgresql"):
                upsert = (sqlite_insert if dialect == "sqlite" else pg_insert)(quarantine)
                conn.execute(
                    upsert.values(**values).on_conflict_do_update(
                        index_elements=[quarantine.c.digest], set_=again
                    )
                )
                return
            done = conn.execute(
                update(quarantine).where(quarantine.c.digest == values["digest"]).values(**again)
            )
            if done.rowcount == 0:
                conn.execute(insert(quarantine).values(**values))

    def quarantined(self) -> list[Quarantined]:
        """The quarantine, oldest first (payloads in full)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(*_QUARANTINE_COLUMNS).order_by(quarantine.c.id))
            return [Quarantined(**r._mapping) for r in rows]

    def quarantined_entry(self, entry: int) -> Quarantined:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_QUARANTINE_COLUMNS).where(quarantine.c.id == entry)).first()
        if row is None:
            raise NotFound(f"no quarantine entry {entry}")
        return Quarantined(**row._mapping)

    def record_status(self, status: KioskStatus, raw: str, now: datetime) -> None:
        with self._tx() as conn:
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
    ) -> list[ItemOut]:
        """What is out now, soonest due first; optionally only due in a window (by the index)."""
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
        if limit is not None:
            q = q.limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [ItemOut(*row) for row in conn.execute(q)]

    def attention(self, limit: int = 10) -> Attention:
        """What a manager should look at: custody conflicts from offline kiosks and messages
        that could not be ingested (newest first)."""
        with self.engine.connect() as conn:
            conflict_rows = conn.execute(
                select(conflicts.c.detected_at, conflicts.c.asset, conflicts.c.detail)
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
            conflicts=[(r.detected_at, r.asset, r.detail) for r in conflict_rows],
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
            late_rows = conn.execute(
                select(late_returns.c.person, func.count(func.distinct(STRIKE)))
                .where(
                    late_returns.c.returned >= now - self.strikes.term,
                    late_returns.c.forgiven.is_(False),
                )
                .group_by(late_returns.c.person)
            ).all()
        return {
            "people": [r._asdict() for r in person_rows],
            "badges": [r._asdict() for r in badge_rows],
            "assets": [r._asdict() for r in asset_rows],
            "holdings": [r._asdict() for r in holding_rows],
            "categories": {r.name: (r.period, r.amount) for r in category_rows},
            "bookings": [r._asdict() for r in booking_rows],
            "requires": {r.name: r.requires for r in category_rows if r.requires},
            "trainings": [r._asdict() for r in training_rows],
            "kiosk_seqs": {k: int(s) for k, s in seqs},
            "strikes": {p: int(n) for p, n in late_rows},
            "notices": notices,
        }

    # users --------------------------------------------------------------------------------

    def add_user(self, username: str, password_hash: str, role: str, now: datetime) -> None:
        try:
            with self._tx() as conn:
                conn.execute(
                    insert(users).values(
                        username=username, password_hash=password_hash, role=role, created_at=now
                    )
                )
        except IntegrityError as exc:
            raise AlreadyExists(f"user {username!r} exists") from exc

    def set_password(self, username: str, password_hash: str) -> None:
        with self._tx() as conn:
            done = conn.execute(
                update(users)
                .where(users.c.username == username)
                .values(password_hash=password_hash)
            )
        if done.rowcount == 0:
            raise NotFound(f"no user {username!r}")

    def get_user(self, username: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users.c.username, users.c.password_hash, users.c.role).where(
                    users.c.username == username
                )
            ).first()
        return User(*row) if row is not None else None


_QUARANTINE_COLUMNS = (
    quarantine.c.id,
    quarantine.c.received_at,
    quarantine.c.last_at,
    quarantine.c.repeats,
    quarantine.c.topic,
    quarantine.c.kiosk,
    quarantine.c.error,
    quarantine.c.payload,
)


def _printable(text: str) -> str:
    """Control characters but newline and tab escaped: a NUL (which PostgreSQL text cannot
    hold), or a terminal escape sequence for whoever lists the quarantine."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


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
