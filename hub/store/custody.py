"""Stored custody kept equal to the ledger's fold (hub.domain.custody), set-based.

For a set of assets this loads their custody events from the ledger, folds each asset in event
order, and writes the difference from what is stored: holdings, late returns, problem tickets,
anomalies, alerts of loans that turned out to be over, the asset's status. It runs in the
caller's transaction, after the caller's ledger rows are inserted, under a row lock on the
assets (PostgreSQL), so hub processes committing events of the same asset take turns and the
last one folds everything all of them wrote.

The fold starts at the asset's rest point (``custody_marks``) when every new event comes after
it, so a commit costs the same for an item lent a thousand times as for a new one; an event that
belongs before the rest point (an offline kiosk's, hours late) re-derives the whole history.
The loans the reports count are re-derived from the same point, and their sums per category
and week corrected by the difference (hub.store.loan_weeks).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from hub.domain import custody
from hub.domain.custody import Fact, Order
from hub.domain.lifecycle import Status
from hub.store import custody_writes as w
from hub.store import loan_weeks
from hub.store.alerting import withdraw
from hub.store.custody_compare import Difference as Difference
from hub.store.custody_compare import compare as compare
from hub.store.custody_compare import custody_assets as custody_assets
from hub.store.custody_compare import loan_differences as loan_differences
from hub.store.custody_compare import repair_loans as repair_loans
from hub.store.custody_reads import facts, marks, open_alerts, open_tickets, stored
from hub.store.locks import lock
from hub.store.writes import Writes

# counter rows: set by a migration when every asset must be re-derived from the ledger; and
# a fingerprint of the rules the fold last ran with (a change re-derives every asset too)
REDERIVE = "custody_rederive"
RULES = "custody_rules"


@dataclass
class Applied:
    """What a re-derivation changed that the caller still acts on."""

    people: set[str] = field(default_factory=set)  # whose late returns changed
    status: dict[str, str] = field(default_factory=dict)  # each asset's status now


def rederive(
    conn: Connection,
    codes: Iterable[str],
    now: datetime,
    grace: timedelta,
    tolerance: timedelta = custody.CLOCK_TOLERANCE,
    locked: dict[str, Any] | None = None,
    new: dict[str, Order] | None = None,
    added: Collection[str] | None = None,
) -> Applied:
    """Re-derive these assets from the ledger and store the result (in ``conn``'s transaction).

    ``new``: per asset, the earliest (in event order) of the events this transaction added:
    an asset whose new events all come after its rest point is folded from there on; the
    others from their whole history. None: every asset from its whole history.
    ``locked``: the assets' rows, if the caller has locked them already (see ``lock``).
    ``added``: the ids of the events this transaction added (the reports' loan sums change
    by what they change; without them, the sums do not change).

    A few reads for all the assets, the fold, then one executemany per kind of write."""
    wanted = set(codes)
    rows = (
        {c: r for c, r in locked.items() if c in wanted}
        if locked is not None
        else lock(conn, sorted(wanted))
    )
    known = sorted(rows)
    had = marks(conn, known)
    usable = {c: m for c, (m, _) in had.items() if new is not None and c in new and new[c] > m}
    quiet = frozenset(c for c in usable if not had[c][1])
    found = facts(conn, known, usable)
    derived = {code: custody.fold(code, found.get(code, ()), grace, tolerance) for code in known}
    kept = stored(conn, known, usable, alerts=False, quiet=quiet)
    loans = _loans(conn, known, rows, found, usable, added)
    # Alerts are raised only for the current loan (see AlertStore.record_sweep), so only an
    # asset whose loan ended or changed here, or one re-derived whole, can have void ones.
    alerts = open_alerts(
        conn,
        [
            c
            for c in known
            if c not in usable
            or (kept.holdings.get(c) is not None and kept.holdings[c] != derived[c].holding)
        ],
    )
    done = Applied()
    out = Writes()
    void: list[str] = []
    opened: dict[str, int] = {}
    for code in known:
        c = derived[code]
        w.mark(out, code, c.rest or usable.get(code), c.pending, had.get(code))
        w.holding(out, code, kept.holdings.get(code), c.holding)
        done.people |= w.late(out, code, kept.late.get(code, {}), c)
        opened[code] = w.problems(out, code, kept.tickets, c, now)
        w.flags(out, code, kept.flags.get(code, {}), c, now)
        current = c.holding.event_id if c.holding else None
        void += [i for i, loan in alerts.get(code, []) if loan != current]
    out.flush(conn)
    if void:
        withdraw(conn, void, now)
    # back on the shelf from a loan (or with a new ticket): in maintenance while a ticket is open
    ask = [
        code
        for code in known
        if derived[code].holding is None
        and (
            rows[code].status == Status.OUT.value
            or (opened[code] and rows[code].status == Status.AVAILABLE.value)
        )
    ]
    ticketed = open_tickets(conn, ask)
    for code in known:
        status = w.status(rows[code].status, derived[code].holding is not None, ticketed.get(code))
        if status != rows[code].status:
            out.add(w.SET_STATUS, key=code, status=status)
        done.status[code] = status
    out.flush(conn)
    loan_weeks.save(conn, loans)
    return done


def _loans(
    conn: Connection,
    known: Sequence[str],
    rows: dict[str, Any],
    found: dict[str, list[Fact]],
    usable: dict[str, Order],
    added: Collection[str] | None,
) -> loan_weeks.Sums:
    """What the ``added`` events change in the sums of the loans the reports count
    (hub.store.loan_weeks), from the point each asset is folded from: its rest point, where
    a loan is open if the rest event is a checkout, or the beginning. Without ``added``
    (a re-derivation: no new events) nothing changes."""
    sums: loan_weeks.Sums = {}
    if not added:
        return sums
    out = loan_weeks.out_at_marks(conn, [c for c in known if c in usable])
    # a rest point at an extension says nothing of the loan: those read their whole history
    whole = facts(conn, [c for c in usable if c not in out])
    for code in known:
        if code in whole:
            history, was_out = whole[code], False
        else:
            history, was_out = found.get(code, []), out.get(code, False)
        loan_weeks.refold(sums, rows[code].category, history, was_out, added)
    return sums
