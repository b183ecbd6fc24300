"""Loan sums per category and week, kept with the ledger, so the reports page reads a few rows
per week and category whatever the size of the ledger.

A loan, as the reports count it (hub.domain.usage.loan_spans), begins at a checkout of an item
that is not out and ends at the next return; a repeated checkout or return changes nothing.
Each loan adds to ``loan_weeks`` of its asset's current category one start in the week it began
and one end in the week it ended, with the times as whole milliseconds since that week's Monday,
so a change is undone exactly.

The custody fold (hub.store.custody.rederive) keeps the sums in the transaction that adds the
events: from the point of an asset's history it folds from (its rest point, or the beginning)
it derives the asset's loans twice, without and with the events this transaction added, and
adds the difference. So an event that belongs hours back rewrites exactly what it changes,
and a commit writes a few rows of sums, not a row per event. The sums are upserted as deltas,
sorted, last in the fold, so hub processes sharing a PostgreSQL database add to the same
week's row in turn.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Executable, Table, bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from hub.domain.custody import Fact, Kind, Order
from hub.domain.usage import week_start
from hub.store import schema as t
from hub.store.among import PerDialect, among, one_of
from hub.store.locks import chunks, lock

TOGGLES = (Kind.CHECKOUT.value, Kind.RETURN.value)
_CHECKOUT = Kind.CHECKOUT.value
_MS = timedelta(milliseconds=1)
_SUMS = ("starts", "start_ms", "ends", "end_ms")
_MARK = t.custody_marks
WHAT = "loan sums of "  # how a difference about the sums begins (Mismatch.what)


@dataclass(frozen=True)
class Span:
    """One loan: the events (in event order) that began and ended it; ``end`` None: out."""

    start: Order
    end: Order | None


# (category, week) -> [loans begun, their ms since the week began, loans ended, their ms]
Sums = dict[tuple[str, datetime], list[int]]
Toggle = tuple[Order, str]


def spans(events: Iterable[Toggle]) -> list[Span]:
    """The loans of one asset's checkouts and returns, given in event order."""
    found: list[Span] = []
    since: Order | None = None
    for order, kind in events:
        if kind == _CHECKOUT:
            if since is None:
                since = order
        elif since is not None:
            found.append(Span(since, order))
            since = None
    if since is not None:
        found.append(Span(since, None))
    return found


def toggles(facts: Iterable[Fact]) -> list[Toggle]:
    """The checkouts and returns among custody facts, in event order."""
    return sorted((f.order, f.kind.value) for f in facts if f.kind.value in TOGGLES)


def when(at: datetime) -> tuple[datetime, int]:
    """The week (Monday 00:00 UTC) of a time, and whole milliseconds since it began."""
    week = week_start(at)
    return week, (at - week) // _MS


def add(sums: Sums, category: str, span: Span, sign: int) -> None:
    for point in _points(span):
        _add_point(sums, category, point, sign)


def _points(span: Span) -> Iterator[tuple[int, Order]]:
    """Where a loan counts: its start (column 0) and its end (column 2), those it has."""
    yield 0, span.start
    if span.end is not None:
        yield 2, span.end


def _add_point(sums: Sums, category: str, point: tuple[int, Order], sign: int) -> None:
    column, (at, *_) = point
    week, ms = when(at)
    row = sums.setdefault((category, week), [0, 0, 0, 0])
    row[column] += sign
    row[column + 1] += sign * ms


def out_at_marks(conn: Connection, codes: Sequence[str]) -> dict[str, bool]:
    """For these assets, whether each was out (a loan open) just after its rest point: its
    rest event is a checkout. Absent: the rest event is neither a checkout nor a return."""
    if not codes:
        return {}
    rows = conn.execute(_REST_EVENTS.on(conn), {"keys": sorted(codes)})
    return {code: kind == Kind.CHECKOUT.value for code, kind in rows}


_REST_EVENTS = PerDialect(
    lambda d: (
        select(_MARK.c.asset, t.ledger.c.type)
        .join(t.ledger, t.ledger.c.id == _MARK.c.event_id)
        .where(among(_MARK.c.asset, d), one_of(t.ledger.c.type, TOGGLES))
    )
)


def refold(
    sums: Sums, category: str, facts: Iterable[Fact], out: bool, added: Collection[str]
) -> None:
    """Add to ``sums`` what the ``added`` events change in one asset's loans: ``facts`` are
    its custody events from some point of its history on (the ``added`` among them), ``out``
    whether a loan was open at that point."""
    events = toggles(facts)
    first = next((n for n, (order, _) in enumerate(events) if order[3] in added), None)
    if first is None:
        return
    if all(order[3] in added for order, _ in events[first:]):
        # the usual commit: new events after every old one add loans' starts and ends only
        if first:  # after a checkout an item is out, after a return it is not
            out = events[first - 1][1] == _CHECKOUT
        for point in _points_of(events[first:], out):
            _add_point(sums, category, point, 1)
        return
    was = _points_of([e for e in events if e[0][3] not in added], out)
    now = _points_of(events, out)
    for point in was - now:
        _add_point(sums, category, point, -1)
    for point in now - was:
        _add_point(sums, category, point, 1)


def _points_of(events: list[Toggle], out: bool) -> set[tuple[int, Order]]:
    """The starts (column 0) and ends (column 2) of the loans of these events (``spans``
    without the pairing, for the commit path)."""
    points: set[tuple[int, Order]] = set()
    for order, kind in events:
        if kind == _CHECKOUT:
            if not out:
                points.add((0, order))
                out = True
        elif out:
            points.add((2, order))
            out = False
    return points


_UPSERTS: dict[str, Executable] = {}


def _upsert(dialect: str) -> Executable:
    if dialect not in _UPSERTS:
        w = t.loan_weeks
        ins = (postgresql.insert(w) if dialect == "postgresql" else sqlite.insert(w)).values(
            {c: bindparam(c) for c in ("category", "week", *_SUMS)}
        )
        _UPSERTS[dialect] = ins.on_conflict_do_update(
            index_elements=[w.c.category, w.c.week],
            set_={c: w.c[c] + ins.excluded[c] for c in _SUMS},
        )
    return _UPSERTS[dialect]


def _values(sums: Sums) -> list[dict[str, Any]]:
    return [
        {"category": c, "week": w, **dict(zip(_SUMS, v, strict=True))}
        for (c, w), v in sorted(sums.items())
        if any(v)
    ]


def save(conn: Connection, sums: Sums) -> None:
    """Add these deltas to the sums, in (category, week) order: two transactions adding to
    the same rows lock them in the same order."""
    values = _values(sums)
    if values:
        conn.execute(_upsert(conn.dialect.name), values)


# category changes ------------------------------------------------------------------------


def hold_categories(conn: Connection, codes: Iterable[str]) -> dict[str, str]:
    """These assets' categories now, their rows locked (a commit folding one waits): call
    before changing categories, then ``follow_categories``."""
    return {code: row.category for code, row in lock(conn, sorted(set(codes))).items()}


def follow_categories(conn: Connection, held: Mapping[str, str]) -> None:
    """Move the loans of the assets whose category changed since ``hold_categories``."""
    now: dict[str, str] = {}
    for part in chunks(sorted(held)):
        q = select(t.assets.c.code, t.assets.c.category).where(t.assets.c.code.in_(part))
        now.update({code: category for code, category in conn.execute(q)})
    moved = sorted(c for c, cat in now.items() if held[c] != cat)
    sums: Sums = {}
    for code, loans in derived(conn, moved).items():
        for s in loans:
            add(sums, held[code], s, -1)
            add(sums, now[code], s, 1)
    save(conn, sums)


# from the whole ledger ---------------------------------------------------------------------


def _ledger_toggles(conn: Connection, codes: Sequence[str]) -> dict[str, list[Toggle]]:
    found: dict[str, list[Toggle]] = defaultdict(list)
    lg = t.ledger
    for part in chunks(codes):
        q = select(lg.c.asset, lg.c.at, lg.c.kiosk, lg.c.seq, lg.c.id, lg.c.type).where(
            lg.c.asset.in_(part), lg.c.type.in_(TOGGLES)
        )
        for r in conn.execute(q):
            found[r.asset].append(((r.at, r.kiosk, r.seq, r.id), r.type))
    for events in found.values():
        events.sort()
    return found


def derived(conn: Connection, codes: Sequence[str]) -> dict[str, list[Span]]:
    """These assets' loans as the ledger says (each asset's whole history)."""
    return {code: spans(events) for code, events in _ledger_toggles(conn, codes).items()}


def edge(conn: Connection, lo: datetime, hi: datetime) -> list[tuple[str, int, int]]:
    """The loans begun (0) or ended (2) in [lo, hi), inside one week: by category, with
    milliseconds since that week's Monday. Reads the whole history of the assets with events
    in it (only a period that does not begin and end on Mondays needs this)."""
    if hi <= lo:
        return []
    lg, a = t.ledger, t.assets
    q = (
        select(lg.c.asset, a.c.category)
        .join(a, a.c.code == lg.c.asset)
        .where(lg.c.at >= lo, lg.c.at < hi, lg.c.type.in_(TOGGLES))
        .distinct()
    )
    category = dict(conn.execute(q).all())
    found: list[tuple[str, int, int]] = []
    for code, loans in derived(conn, sorted(category)).items():
        for s in loans:
            for column, end in ((0, s.start), (2, s.end)):
                if end is not None and lo <= end[0] < hi:
                    found.append((category[code], column, when(end[0])[1]))
    return found


def _by_part(conn: Connection) -> Iterator[tuple[dict[str, str], dict[str, list[Span]]]]:
    """Every registered asset's category and loans from the ledger, a few hundred at a time."""
    category = dict(conn.execute(select(t.assets.c.code, t.assets.c.category)).all())
    for part in chunks(sorted(category)):
        yield {c: category[c] for c in part}, derived(conn, part)


def from_ledger(conn: Connection) -> Sums:
    """The sums as the whole ledger says."""
    sums: Sums = {}
    for category, loans in _by_part(conn):
        for code, found in loans.items():
            for s in found:
                add(sums, category[code], s, 1)
    return sums


def rebuild(conn: Connection, weeks_table: Table = t.loan_weeks, locking: bool = True) -> None:
    """Replace the stored sums by what the whole ledger says. A migration fills the table with
    it (``weeks_table``: the table as it made it), the hub after a full re-derivation or a
    repair (``locking``: every asset's row first, so no commit folds one meanwhile)."""
    if locking:
        lock(conn, sorted(conn.scalars(select(t.assets.c.code))))
    conn.execute(delete(weeks_table))
    values = _values(from_ledger(conn))
    for i in range(0, len(values), 1000):
        conn.execute(insert(weeks_table), values[i : i + 1000])


@dataclass(frozen=True)
class Mismatch:
    """A stored sum that differs from the ledger's."""

    what: str
    stored: str
    derived: str


def mismatches(conn: Connection) -> list[Mismatch]:
    """Where the stored sums (per category and week) differ from what the whole ledger says
    (read only)."""
    sums = from_ledger(conn)
    table = {
        (r.category, r.week): [r.starts, r.start_ms, r.ends, r.end_ms]
        for r in conn.execute(select(t.loan_weeks))
    }
    out: list[Mismatch] = []
    zero = [0, 0, 0, 0]
    for key in sorted(set(table) | set(sums)):
        got, wanted = list(table.get(key, zero)), list(sums.get(key, zero))
        if got != wanted:
            what = f"{WHAT}{key[0]}, week of {key[1]:%Y-%m-%d}"
            out.append(Mismatch(what, _describe(got), _describe(wanted)))
    return out


def _describe(v: list[int]) -> str:
    return f"{v[0]} begun ({v[1]} ms), {v[2]} ended ({v[3]} ms)"
