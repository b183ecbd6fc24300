"""Custody as a pure function of the ledger: one asset's events, folded in event order.

Arrival order is not event order: an offline kiosk delivers hours late, resends reorder, and
several hub processes split one kiosk's events. So the hub never folds what arrives onto what
it has; it folds an asset's custody events sorted by event time (then kiosk, its sequence
number and the event id) and stores the result. The same events give the same holder, late
returns, problem reports and anomalies, whichever order they came in and however they were
split into batches.

The rules, in event order:

- A checkout makes the person the holder. A checkout while someone else holds the item (two
  offline kiosks lent it) moves the holding to the later one and is an anomaly.
- A return ends the loan open at its time. Returned later than due plus grace: a late return.
- A return that finds no loan open is an anomaly, unless a checkout follows it within the clock
  tolerance: then its kiosk's clock was behind (a Pi without network boots with a stale time),
  and the return ends that loan, on time, and the mismatch is an anomaly a manager sees.
- An extension moves the holder's due time; by anyone else, or with nothing held, an anomaly.
- A return reported damaged or with a part missing is a problem report, whoever held the item.

Nothing here reads a clock or a database: the store loads the events and applies the result.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

# How far a return may be stamped before the checkout it ends (a kiosk clock running behind).
CLOCK_TOLERANCE = timedelta(hours=2)


# event order: (at, kiosk, seq, id)
Order = tuple[datetime, str, int, str]


class Kind(StrEnum):
    CHECKOUT = "checkout"
    RETURN = "return"
    EXTEND = "extend"


class Condition(StrEnum):
    OK = "ok"
    DAMAGED = "damaged"
    MISSING_PART = "missing_part"


PROBLEMS = frozenset({Condition.DAMAGED, Condition.MISSING_PART})


class Anomaly(StrEnum):
    """What a manager is asked to look at; the event that caused it names it."""

    DOUBLE_LENDING = "double_lending"  # lent while someone else held it
    NOT_ON_LOAN = "not_on_loan"  # returned while nobody held it
    RETURN_BEFORE_LOAN = "return_before_loan"  # a return dated before the loan it ended
    STRAY_EXTENSION = "stray_extension"  # extended by someone who did not hold it


@dataclass(frozen=True)
class Fact:
    """One custody event as the fold needs it (checkouts, returns and extensions only)."""

    id: str
    at: datetime
    kind: Kind
    kiosk: str
    seq: int
    person: str | None = None
    due: datetime | None = None
    condition: Condition | None = None
    session: str | None = None
    detail: str | None = None

    @property
    def order(self) -> Order:
        """Event order: event time; at the same time, one kiosk's own sequence (a checkout and
        its extension in the same millisecond), then the kiosk and the id for a total order."""
        return (self.at, self.kiosk, self.seq, self.id)


@dataclass(frozen=True)
class Holding:
    asset: str
    person: str
    since: datetime
    due: datetime
    kiosk: str
    event_id: str  # the checkout that started the loan
    renewals: int = 0


@dataclass(frozen=True)
class LateReturn:
    event_id: str  # the return
    person: str
    due: datetime
    returned: datetime
    minutes_late: int
    session: str | None


@dataclass(frozen=True)
class Problem:
    """A return reported damaged or incomplete: the item goes to maintenance with a ticket."""

    event_id: str
    at: datetime
    kiosk: str
    condition: Condition
    person: str | None  # who held it, if anyone did
    loan_event_id: str | None
    detail: str | None


@dataclass(frozen=True)
class Flag:
    event_id: str
    at: datetime
    kind: Anomaly
    detail: str


@dataclass(frozen=True)
class Custody:
    """Everything an asset's custody events imply; compare two with ``==``."""

    asset: str
    holding: Holding | None
    late: tuple[LateReturn, ...] = ()
    problems: tuple[Problem, ...] = ()
    flags: tuple[Flag, ...] = ()
    # The last event after which nothing was held and no return waited for its checkout. What
    # follows it is folded alike from nothing, and cannot change what came before it: the
    # store folds only an asset's events after its rest point while new events come after it.
    rest: Order | None = field(default=None, compare=False)
    # Whether anything (a late return, a problem, an anomaly) hangs on an event after ``rest``
    # (after the first event, if there is no rest point): if not, the store need not look.
    pending: bool = field(default=False, compare=False)


@dataclass
class _Fold:
    asset: str
    grace: timedelta
    tolerance: timedelta
    holding: Holding | None = None
    stray: Fact | None = None  # the latest return that found nothing on loan
    late: list[LateReturn] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    flags: dict[tuple[str, Anomaly], Flag] = field(default_factory=dict)
    made: int = 0  # late returns, problems and anomalies made or changed since the rest point

    def flag(self, fact: Fact, kind: Anomaly, detail: str) -> None:
        self.flags[(fact.id, kind)] = Flag(fact.id, fact.at, kind, detail[:500])
        self.made += 1

    def checkout(self, f: Fact) -> None:
        assert f.person is not None and f.due is not None
        new = Holding(self.asset, f.person, f.at, f.due, f.kiosk, f.id)
        current, stray = self.holding, self.stray
        self.stray = None
        if current is None and stray is not None and self._ends(stray, f):
            self._end_by_skewed_return(stray, new)
            return
        if current is not None and current.person != f.person:
            self.flag(
                f,
                Anomaly.DOUBLE_LENDING,
                f"{self.asset} lent to {f.person} at {f.kiosk} ({_t(f.at)}) while held by "
                f"{current.person} (since {_t(current.since)}, {current.kiosk}); "
                f"{f.person} holds it now",
            )
        self.holding = new

    def _ends(self, stray: Fact, checkout: Fact) -> bool:
        """Whether a return stamped before this checkout is really its end (a clock behind)."""
        close = timedelta(0) < self.tolerance and checkout.at - stray.at <= self.tolerance
        return close and stray.person in (None, checkout.person)

    def _end_by_skewed_return(self, stray: Fact, loan: Holding) -> None:
        del self.flags[(stray.id, Anomaly.NOT_ON_LOAN)]
        self.flag(
            stray,
            Anomaly.RETURN_BEFORE_LOAN,
            f"{self.asset} returned at {stray.kiosk} stamped {_t(stray.at)}, before its loan to "
            f"{loan.person} began ({_t(loan.since)}, {loan.kiosk}): the return ended that loan; "
            f"check {stray.kiosk}'s clock",
        )
        self.problems = [
            replace(p, person=loan.person, loan_event_id=loan.event_id)
            if p.event_id == stray.id
            else p
            for p in self.problems
        ]
        self.made += 1

    def return_(self, f: Fact) -> None:
        current = self.holding
        if f.condition in PROBLEMS:
            assert f.condition is not None
            self.problems.append(
                Problem(
                    f.id,
                    f.at,
                    f.kiosk,
                    f.condition,
                    current.person if current else None,
                    current.event_id if current else None,
                    f.detail,
                )
            )
            self.made += 1
        if current is None:
            self.stray = f
            self.flag(
                f,
                Anomaly.NOT_ON_LOAN,
                f"{self.asset} returned at {f.kiosk} ({_t(f.at)}) while not on loan",
            )
            return
        self.holding = None
        late = f.at - current.due
        if late > self.grace:
            minutes = int(late.total_seconds() // 60)
            self.late.append(
                LateReturn(f.id, current.person, current.due, f.at, minutes, f.session)
            )
            self.made += 1

    def extend(self, f: Fact) -> None:
        current = self.holding
        assert f.due is not None
        if current is None or current.person != f.person:
            self.flag(
                f,
                Anomaly.STRAY_EXTENSION,
                f"{f.person} extended {self.asset} at {f.kiosk} ({_t(f.at)}) without holding it",
            )
            return
        self.holding = replace(current, due=f.due, renewals=current.renewals + 1)


def fold(
    asset: str,
    facts: Iterable[Fact],
    grace: timedelta,
    tolerance: timedelta = CLOCK_TOLERANCE,
) -> Custody:
    """An asset's custody from all its custody events, in any order (duplicates ignored)."""
    state = _Fold(asset, grace, tolerance)
    unique = {f.id: f for f in facts}
    rest: Order | None = None
    for f in sorted(unique.values(), key=lambda f: f.order):
        match f.kind:
            case Kind.CHECKOUT:
                state.checkout(f)
            case Kind.RETURN:
                state.return_(f)
            case Kind.EXTEND:
                state.extend(f)
        if state.holding is None and state.stray is None:
            rest, state.made = f.order, 0
    return Custody(
        asset=asset,
        holding=state.holding,
        late=tuple(state.late),
        problems=tuple(state.problems),
        flags=tuple(sorted(state.flags.values(), key=lambda g: (g.at, g.event_id, g.kind))),
        rest=rest,
        pending=state.made > 0,
    )


def _t(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")
