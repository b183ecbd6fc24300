"""The ledger: custody events appended once, and everything derived from them kept in step in
the same transaction (custody, accruals, bans, preventive service)."""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, or_, select

from hub.domain.custody import Order
from hub.domain.lifecycle import Status
from hub.domain.service import ServiceRule, service_reason
from hub.domain.strikes import StrikeRules
from hub.errors import StoreError
from hub.store import accruals, loan_weeks
from hub.store import custody as custody_store
from hub.store.among import PerDialect, among
from hub.store.appends import (
    CUSTODY_TYPES,
    Outcome,
    append,
    decided,
    ids_recorded,
    ledger_values,
    recorded,
    unregistered,
)
from hub.store.badge_owners import badge_owner
from hub.store.bans import Bans, StrikeTimes
from hub.store.base import StoreBase
from hub.store.bookings import late_pickup
from hub.store.journal import Note, audit, write_notes
from hub.store.locks import chunks, lock
from hub.store.maintenance import hold_for_service
from hub.store.rule_checks import check_rules
from hub.store.schema import badges, categories, conflicts, counters, late_returns, people
from wire import AckResult, CustodyEvent, EventType

# conflicts rows not made by the custody fold: a custody event refused for naming what the
# registry does not know, a badge enrolled at a kiosk that could not be given
UNREGISTERED = "unregistered"
ENROLMENT = "enrolment"

_SERVICE_RULES = PerDialect(
    lambda dialect: select(
        categories.c.name, categories.c.service_days, categories.c.service_checkouts
    ).where(among(categories.c.name, dialect))
)


class Ledger(StoreBase):
    """Appends kiosks' events and re-derives what they change, one transaction per batch."""

    def __init__(
        self,
        engine: Engine,
        strikes: StrikeRules,
        tolerance: timedelta,
        strike_times: StrikeTimes | None = None,
    ) -> None:
        self.engine = engine
        self.bans = Bans(strikes, strike_times)
        # how far a return may be stamped before the loan it ends (a kiosk clock behind)
        self.tolerance = tolerance

    @property
    def strikes(self) -> StrikeRules:
        return self.bans.strikes

    def commit_events(
        self, batch: Sequence[tuple[CustodyEvent, str]], now: datetime
    ) -> list[Outcome]:
        """Append new events (see ``commit_audited``)."""
        return self.commit_audited(batch, now, ())

    def commit_audited(
        self,
        batch: Sequence[tuple[CustodyEvent, str]],
        now: datetime,
        notes: Sequence[Note],
    ) -> list[Outcome]:
        """Append new events, re-derive the custody they touch, and say for each what the
        kiosk is told, all in one transaction.

        A repeated event id is a duplicate (acknowledged, ignored). A new id reusing a kiosk's
        sequence number is refused: the kiosk's outbox state is broken and a person must look.
        A checkout, return or extension naming a person or an asset the registry does not know
        is refused with the reason, and the refusal is listed for managers.

        ``notes`` (audit entries of whoever recorded the events, such as the desk's) are
        written in the same transaction when every event of the batch is committed (or was
        before): the record of an operation commits with it or not at all.
        """
        outcomes: list[Outcome] = []
        if not batch:
            return outcomes
        with self._tx() as conn:
            # ids seen before; a number reused under a new id is found when its insert is
            # refused (see below), which saves a look-up per kiosk for every batch
            known = ids_recorded(conn, [e for e, _ in batch])
            taken: dict[tuple[str, int], str] = {}
            # every asset row this commit may write, locked first and in code order (then
            # people, for bans): hub processes sharing a database take turns per asset and
            # never wait for each other in a circle. What is not there is not registered.
            locked = lock(conn, sorted({e.asset for e, _ in batch if e.asset is not None}))
            unknown = unregistered(conn, [e for e, _ in batch if e.id not in known], locked)
            rows: list[dict[str, Any]] = []
            fresh: list[CustodyEvent] = []
            for ev, raw in batch:
                outcome = decided(ev, known, taken)
                if outcome is None and ev.id in unknown:
                    self._refused(conn, ev, unknown[ev.id], now)
                    outcome = Outcome(ev, AckResult.REJECTED, unknown[ev.id])
                if outcome is not None:
                    outcomes.append(outcome)
                    continue
                rows.append(ledger_values(ev, raw, now))
                known.add(ev.id)
                taken[(ev.kiosk, ev.seq)] = ev.id
                fresh.append(ev)
                outcomes.append(Outcome(ev, AckResult.COMMITTED))
            if not rows:
                return outcomes
            inserted = append(conn, rows)
            if len(inserted) < len(rows):
                # a number the ledger has under another id, or another hub committed some of
                # these (or their numbers) since we looked
                lost = [ev for ev in fresh if ev.id not in inserted]
                known, taken = recorded(conn, lost)
                for n, outcome in enumerate(outcomes):
                    if outcome.event.id in inserted or outcome.result is not AckResult.COMMITTED:
                        continue
                    again = decided(outcome.event, known, taken)
                    if again is None:
                        raise StoreError("an event was neither stored nor found: try again")
                    outcomes[n] = again
                fresh = [ev for ev in fresh if ev.id in inserted]
            self._project(conn, fresh, now, locked)
            if all(o.result is not AckResult.REJECTED for o in outcomes):
                write_notes(conn, now, notes)
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
            found += self.bans.differences(conn, now or datetime.now(UTC))
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
            audit(conn, now, actor, "ledger.repair", None, detail)
        return found

    def _rederive(
        self, conn: Connection, codes: Sequence[str], people: set[str], now: datetime
    ) -> set[str]:
        """Re-derive these assets from their whole history, then the bans of ``people`` and of
        everyone whose late returns that changed; returns whose bans were looked at."""
        people = set(people)
        for part in chunks(codes):
            applied = custody_store.rederive(conn, part, now, self.strikes.grace, self.tolerance)
            people |= applied.people
        self.bans.rejudge(conn, people, now)
        return people

    def rederive_if_marked(self, now: datetime) -> None:
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
                audit(conn, now, "hub", "ledger.rederive", None, detail)

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
        applied = custody_store.rederive(
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
            late_pickup(conn, booking, ev, now)
        self.bans.rejudge(conn, applied.people, now)
        # on the shelf now, whichever of its events arrived: an older checkout arriving after
        # the return counts towards service as much as one that came in order
        shelved = sorted(c for c, s in applied.status.items() if s == Status.AVAILABLE.value)
        self._service_checks(conn, shelved, locked, accrued, now)

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
                hold_for_service(conn, code, now, why)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
