"""Where what is stored of custody differs from the ledger's replay (read only), and the
assets custody is stored for: what ``verify`` and ``repair`` look at."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, select

from hub.domain.custody import Holding
from hub.domain.lifecycle import Status
from hub.store import loan_weeks
from hub.store import schema as t
from hub.store.custody_reads import ANOMALIES, CUSTODY_TYPES, derive, stored
from hub.store.locks import chunks

_SETTLED = (Status.RETIRED.value, Status.DISPOSED.value)


@dataclass(frozen=True)
class Difference:
    """Where the stored projection and the ledger's fold disagree, about an asset or (a ban)
    a person."""

    asset: str | None
    what: str
    stored: str
    derived: str
    person: str | None = None

    def __str__(self) -> str:
        who = self.asset or (f"person {self.person}" if self.person else "reports")
        return f"{who}: {self.what}: stored {self.stored}, ledger says {self.derived}"


def compare(
    conn: Connection, codes: Sequence[str], grace: timedelta, tolerance: timedelta
) -> list[Difference]:
    """Where what is stored for these assets differs from the ledger's fold (read only)."""
    derived = derive(conn, codes, grace, tolerance)
    kept = stored(conn, codes)
    status = {}
    for part in chunks(sorted(codes)):
        q = select(t.assets.c.code, t.assets.c.status).where(t.assets.c.code.in_(part))
        status.update({code: s for code, s in conn.execute(q)})
    out: list[Difference] = []
    for code in sorted(codes):
        c = derived[code]
        old = kept.holdings.get(code)
        if old != c.holding:
            out.append(Difference(code, "holder", _loan(old), _loan(c.holding)))
        late_old = {e: (r.person, r.minutes_late) for e, r in kept.late.get(code, {}).items()}
        late_new = {lr.event_id: (lr.person, lr.minutes_late) for lr in c.late}
        if late_old != late_new:
            out.append(Difference(code, "late returns", _pairs(late_old), _pairs(late_new)))
        flags_old = {k for k, r in kept.flags.get(code, {}).items() if not r.resolved}
        flags_new: set[tuple[str, str | None]] = {(f.event_id, f.kind.value) for f in c.flags}
        if flags_old - flags_new or {k for k in flags_new if k not in kept.flags.get(code, {})}:
            out.append(Difference(code, "anomalies", _keys(flags_old), _keys(flags_new)))
        missing = [p.event_id for p in c.problems if p.event_id not in kept.tickets]
        if missing:
            out.append(Difference(code, "problem tickets", "none", ", ".join(missing)))
        s = status.get(code)
        if s is not None and s not in _SETTLED and (s == Status.OUT.value) != bool(c.holding):
            out.append(Difference(code, "status", s, Status.OUT.value if c.holding else "not out"))
        current = c.holding.event_id if c.holding else None
        void = [i for i, loan in kept.alerts.get(code, []) if loan != current]
        if void:
            out.append(Difference(code, "open alerts of ended loans", ", ".join(void), "none"))
    return out


def loan_differences(conn: Connection) -> list[Difference]:
    """Where the reports' loan sums (per category and week) differ from what the whole ledger
    says (read only)."""
    return [Difference(None, m.what, m.stored, m.derived) for m in loan_weeks.mismatches(conn)]


def repair_loans(conn: Connection, found: Sequence[Difference]) -> None:
    """Rebuild the reports' loan sums from the ledger if ``found`` says they differ."""
    if any(d.what.startswith(loan_weeks.WHAT) for d in found):
        loan_weeks.rebuild(conn)


def custody_assets(conn: Connection) -> list[str]:
    """Every asset the ledger or the projection says anything about."""
    found = set(
        conn.scalars(
            select(t.ledger.c.asset)
            .where(t.ledger.c.type.in_(CUSTODY_TYPES), t.ledger.c.asset.is_not(None))
            .distinct()
        )
    )
    found |= set(conn.scalars(select(t.holdings.c.asset)))
    found |= set(conn.scalars(select(t.late_returns.c.asset).distinct()))
    found |= set(conn.scalars(select(t.conflicts.c.asset).where(t.conflicts.c.kind.in_(ANOMALIES))))
    registered = set(conn.scalars(select(t.assets.c.code)))
    return sorted(found & registered)


def _loan(h: Holding | None) -> str:
    if h is None:
        return "nobody"
    return f"{h.person} since {h.since:%Y-%m-%d %H:%M}, due {h.due:%Y-%m-%d %H:%M} ({h.event_id})"


def _pairs(items: dict[str, tuple[str, int]]) -> str:
    return ", ".join(f"{p} {m} min ({e})" for e, (p, m) in sorted(items.items())) or "none"


def _keys(items: set[tuple[str, str | None]]) -> str:
    return ", ".join(f"{k or 'unclassified'} ({e})" for e, k in sorted(items, key=str)) or "none"
