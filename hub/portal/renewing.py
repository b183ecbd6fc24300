"""Renewing from the portal: decided by the kiosks' rule (rules.renewal) on the hub's current
state, then recorded as a kiosk records it, with ``extend`` events signed by the portal's own
source and committed through the hub's ingest (hub.desk.source). So the holding's due time, the
kiosks' replicas, reminders and the ledger all follow a renewal from home as they follow one
made at the cage, and a renewal cannot slip past the checks ingest makes on any event."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from hub.desk import lookup
from hub.desk.cart import Entry
from hub.desk.source import DeskSource
from hub.store import Store
from rules.renewal import Held, Renewal, renew
from wire import EventType, ReplicaPolicy
from wire.ids import uuid7

PORTAL_ID = "portal"  # its kiosk id in the ledger and the kiosk list
PORTAL_NAME = "Borrower portal"
# one renewal decided and recorded at a time in this process: a double-click renews once
_ONE_AT_A_TIME = threading.Lock()


def extensions(person_id: str, unit: Sequence[Held], due: datetime) -> list[Entry]:
    """The ``extend`` events renewing ``unit`` to ``due``. Each event's id is made from the loan
    it renews (whose, what, its due time and renewals so far), so the same renewal sent twice
    (a form sent again, two hub processes at once) is one event, which ingest takes once."""
    return [
        Entry(EventType.EXTEND, person_id, loan.code, due=due, id=_renewal_id(person_id, loan))
        for loan in unit
    ]


def _renewal_id(person_id: str, loan: Held) -> str:
    fact = f"{person_id}|{loan.code}|{loan.due.isoformat()}|{loan.renewals}"
    return uuid7(int(loan.due.timestamp() * 1000), hashlib.sha256(fact.encode()).digest()[:10])


def portal_source(store: Store) -> DeskSource:
    return DeskSource(store, PORTAL_ID, PORTAL_NAME)


def renew_loan(
    store: Store, person_id: str, code: str, now: datetime, rules: ReplicaPolicy, actor: str
) -> Renewal | None:
    """Renew ``person_id``'s loan of ``code`` (its whole kit for a kit's piece) if the rule
    allows, and audit the attempt either way; None when they do not hold ``code``. Raises
    DeskRefused if ingest refused the events, StoreError if the database is unavailable."""
    with _ONE_AT_A_TIME:
        return _renew(store, person_id, code, now, rules, actor)


def _renew(
    store: Store, person_id: str, code: str, now: datetime, rules: ReplicaPolicy, actor: str
) -> Renewal | None:
    person = lookup.person_by_id(store, person_id, now)
    if person is None:
        return None
    loans = [loan.held for loan in store.my_loans(person_id, now)]
    decided = renew(loans, code, person, now, lookup.policy(store, rules))
    if decided is None:
        return None
    if decided.due is None:
        store.audit(now, actor, "portal.renew.refused", code, decided.refusal)
        return decided
    session = f"portal-{uuid7(int(now.timestamp() * 1000))[-12:]}"
    unit = [loan for loan in loans if loan.code in decided.codes]
    portal_source(store).record(extensions(person_id, unit, decided.due), session, None, now)
    due = decided.due.astimezone(UTC).isoformat(timespec="minutes")
    store.audit(now, actor, "portal.renew", code, f"{', '.join(decided.codes)} due {due}")
    return decided
