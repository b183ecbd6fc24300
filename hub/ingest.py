"""Ingest: turn raw kiosk messages into ledger commits and the acks that follow them.

Validation happens at the edge (wire.decode_event); anything that fails is quarantined as received,
never dropped. Acks are produced only from the outcome of a committed transaction.

A batch the database refuses for a reason other than a transient one (down, locked: StoreError) is
committed again one event at a time, so one event the database cannot store (a "poison" event) is
quarantined and rejected to its kiosk instead of failing every batch it lands in for ever.

An authentic event is never answered with silence: whatever is wrong with it (its schema, its id,
its times, a value the database cannot hold), its kiosk gets a signed ``rejected`` ack and parks
it in its dead-letter store. Only messages not proven to come from the kiosk go unanswered.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from hub.errors import StoreError
from hub.printable import printable
from hub.store import Outcome, Store
from hub.store.journal import Note
from wire import (
    Ack,
    AckBatch,
    AckResult,
    CustodyEvent,
    MalformedPayload,
    Topics,
    WireError,
    decode_event,
)
from wire.codec import load_object

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inbound:
    topic: str
    payload: bytes


@dataclass(frozen=True)
class TimeBounds:
    """How far an authentic event's times may stray before the hub refuses it.

    The hub orders custody by the kiosks' own clocks, so a time that cannot be right (before the
    kiosk existed, in the future, a loan for decades) would corrupt custody for every later
    event; such an event is rejected to its kiosk's dead-letter store for a person instead.
    """

    # a kiosk clock may run this far ahead of the hub's (NTP keeps them within a second)
    ahead: timedelta = timedelta(minutes=5)
    # events this long before the kiosk was registered: a kiosk set up with a given key (or a
    # clock a little behind) before an admin registered it; earlier is a clock never set
    before_registration: timedelta = timedelta(days=1)
    # ``due`` at most this far from ``at``: a year's loan, leap day included
    longest_loan: timedelta = timedelta(days=366)


class Ingest:
    def __init__(self, store: Store, topics: Topics, bounds: TimeBounds | None = None) -> None:
        self.store = store
        self.topics = topics
        self.bounds = bounds or TimeBounds()

    def process(
        self, batch: Sequence[Inbound], now: datetime, notes: Sequence[Note] = ()
    ) -> dict[str, AckBatch]:
        """Commit a batch in one transaction; returns the ack batch to send to each kiosk.
        ``notes``: audit entries committed with the events if all of them are (the desk's).

        Raises StoreError when the database is unavailable (down, locked): then nothing was
        acknowledged and the kiosks send the events again.
        """
        accepted: list[tuple[CustodyEvent, Inbound]] = []
        acks: dict[str, list[Ack]] = defaultdict(list)
        for msg in batch:
            event = self._admit(msg, now, acks)
            if event is not None:
                accepted.append((event, msg))
        if accepted:
            for outcome in self._commit(accepted, now, notes):
                ev = outcome.event
                if outcome.result is AckResult.REJECTED:
                    log.error("refused event %s from %s: %s", ev.id, ev.kiosk, outcome.error)
                acks[ev.kiosk].append(
                    Ack(id=ev.id, seq=ev.seq, result=outcome.result, error=outcome.error)
                )
        return {kiosk: AckBatch(kiosk=kiosk, acks=items) for kiosk, items in acks.items()}

    def _commit(
        self,
        accepted: Sequence[tuple[CustodyEvent, Inbound]],
        now: datetime,
        notes: Sequence[Note] = (),
    ) -> list[Outcome]:
        """Commit the batch in one transaction or, if the database refuses it for a reason that
        is not transient, one event at a time; a StoreError (transient) goes up unhandled."""
        batch = [(ev, m.payload.decode()) for ev, m in accepted]
        try:
            try:
                return self._commit_batch(batch, now, notes)
            except IntegrityError:
                # another hub committed some of these meanwhile (a resend it was handed): the
                # second look sees them as duplicates
                return self._commit_batch(batch, now, notes)
        except StoreError:
            raise  # nothing committed or acked: the kiosks send these again
        except Exception as exc:
            if not _refuses_the_event(exc):
                raise  # nothing committed or acked: sent again once the hub is put right
            log.warning(
                "the database refused a batch of %d events (%s); committing them one by one",
                len(accepted),
                _describe(exc),
            )
        outcomes: list[Outcome] = []
        for n, (ev, msg) in enumerate(accepted):
            # the notes go with the last event, if none before it was refused
            last = n == len(accepted) - 1
            fine = all(o.result is not AckResult.REJECTED for o in outcomes)
            outcomes.append(self._commit_one(ev, msg, now, notes if last and fine else ()))
        return outcomes

    def _commit_batch(
        self, batch: Sequence[tuple[CustodyEvent, str]], now: datetime, notes: Sequence[Note]
    ) -> list[Outcome]:
        if notes:
            return self.store.commit_audited(batch, now, notes)
        return self.store.commit_events(batch, now)

    def _commit_one(
        self, ev: CustodyEvent, msg: Inbound, now: datetime, notes: Sequence[Note] = ()
    ) -> Outcome:
        """One event alone; if the database refuses even that, it is quarantined as received
        and rejected to its kiosk (which moves it to its dead-letter store)."""
        raw = msg.payload.decode()
        try:
            try:
                [outcome] = self._commit_batch([(ev, raw)], now, notes)
            except IntegrityError:
                # another hub may have committed this id or seq meanwhile: look again
                [outcome] = self._commit_batch([(ev, raw)], now, notes)
            return outcome
        except Exception as exc:
            if not _refuses_the_event(exc):
                raise
            error = f"the hub's database cannot store this event: {_describe(exc)}"[:500]
        self._quarantine(msg, ev.kiosk, error, now)
        return Outcome(ev, AckResult.REJECTED, error)

    def _admit(
        self, msg: Inbound, now: datetime, acks: dict[str, list[Ack]]
    ) -> CustodyEvent | None:
        kiosk = self.topics.kiosk_of(msg.topic)
        if kiosk is None:
            self._quarantine(msg, None, "not a kiosk events topic", now)
            return None
        try:
            event = decode_event(msg.payload, self.store.kiosk_key)
        except MalformedPayload as exc:
            self._quarantine(msg, kiosk, str(exc), now)
            # Correctly signed but invalid: tell the kiosk, so it parks the event for a person.
            # Anything not proven authentic gets no answer at all.
            rejection = _rejection(msg.payload, str(exc)) if exc.authentic else None
            if rejection is not None and rejection[0] == kiosk:
                acks[kiosk].append(rejection[1])
            return None
        except WireError as exc:
            self._quarantine(msg, kiosk, str(exc), now)
            return None
        except Exception as exc:  # a payload must never stop ingest, whatever it holds
            log.exception("unexpected error reading a message on %s", msg.topic)
            self._quarantine(msg, kiosk, f"could not be read: {type(exc).__name__}", now)
            return None
        if event.kiosk != kiosk:
            self._quarantine(
                msg, kiosk, f"payload says kiosk {event.kiosk!r}, topic {kiosk!r}", now
            )
            return None
        registered = self.store.kiosk_registered_at(kiosk)
        problem = out_of_bounds(event, registered, now, self.bounds)
        if problem is not None:
            self._quarantine(msg, kiosk, problem, now)
            acks[kiosk].append(
                Ack(id=event.id, seq=event.seq, result=AckResult.REJECTED, error=problem)
            )
            return None
        return event

    def _quarantine(self, msg: Inbound, kiosk: str | None, error: str, now: datetime) -> None:
        log.warning("quarantined a message on %s: %s", msg.topic, error)
        self.store.quarantine(msg.topic, kiosk, error, msg.payload, now)


def out_of_bounds(
    ev: CustodyEvent, registered: datetime | None, now: datetime, bounds: TimeBounds
) -> str | None:
    """Why the event's times cannot be right (None if they can), in words for the person who
    looks at the kiosk's dead-letter store. Differences only: ``at + bound`` may overflow."""
    if ev.at - now > bounds.ahead:
        return (
            f"at {_stamp(ev.at)} is {_span(ev.at - now)} after the hub's clock ({_stamp(now)}), "
            f"more than {_span(bounds.ahead)} ahead: set the kiosk's clock (NTP)"
        )
    if registered is not None and registered - ev.at > bounds.before_registration:
        return (
            f"at {_stamp(ev.at)} is before kiosk {ev.kiosk} was registered "
            f"({_stamp(registered)}): the kiosk's clock was not set"
        )
    if ev.due is not None and abs(ev.due - ev.at) > bounds.longest_loan:
        return (
            f"due {_stamp(ev.due)} is more than {_span(bounds.longest_loan)} from "
            f"at {_stamp(ev.at)}"
        )
    return None


def _stamp(moment: datetime) -> str:
    """RFC 3339 in UTC; isoformat, as strftime drops the leading zeros of year 1."""
    return moment.isoformat().replace("+00:00", "Z")


def _span(delta: timedelta) -> str:
    if delta >= timedelta(days=1):
        return f"{delta.days} day{'s' if delta.days != 1 else ''}"
    minutes, seconds = divmod(int(delta.total_seconds()), 60)
    if seconds:
        return f"{minutes} min {seconds} s"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _refuses_the_event(exc: BaseException) -> bool:
    """Whether the database (or its driver, binding a value) refused this event's values: a
    value the column cannot hold (DataError: a NUL in PostgreSQL text, a number out of range) or
    cannot even be bound (OverflowError, a StatementError that is not the database's). Anything
    else (a missing grant or column, a clash with another hub) is the hub's problem, not the
    event's: the batch fails and is sent again, and no event is rejected for it."""
    if isinstance(exc, DataError | OverflowError):
        return True
    return isinstance(exc, StatementError) and not isinstance(exc, DBAPIError)


def _describe(exc: BaseException) -> str:
    """The database's own words (not the statement and its parameters), on one printable line."""
    cause = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    text = " ".join(str(cause).split()) or "no message"
    return f"{type(cause).__name__}: {printable(text)}"


def _rejection(payload: bytes, error: str) -> tuple[str, Ack] | None:
    """The ack refusing an authentic event whose body failed validation, if it names a usable
    id and seq."""
    try:
        obj = load_object(payload, same_repeats_ok=True)  # proven authentic: name it
        kiosk = obj.get("kiosk")
        ack = Ack.model_validate(
            {"id": obj.get("id"), "seq": obj.get("seq"), "result": "rejected", "error": error[:500]}
        )
    except (WireError, ValueError):
        return None
    return (kiosk, ack) if isinstance(kiosk, str) else None
