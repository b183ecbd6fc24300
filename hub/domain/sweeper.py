"""Which overdue alerts a loan has earned by now: due soon, overdue, escalated, lost.

An alert's id names its stage, its loan and the due time it was raised against, so each stage
is raised once per loan; an extension moves the due time and earns fresh stages while the old
ones are withdrawn, as is everything of a loan that has ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.domain.alerts import AlertKind

# the stages a loan reaches are the kinds of the alerts they raise
Stage = AlertKind


@dataclass(frozen=True)
class AlertRules:
    due_soon: timedelta = timedelta(hours=2)
    escalate_after: timedelta = timedelta(hours=24)
    lost_after: timedelta = timedelta(days=14)

    def __post_init__(self) -> None:
        if not timedelta(0) < self.escalate_after < self.lost_after:
            raise ValueError("escalation must come after the due time and before 'lost'")


@dataclass(frozen=True)
class OpenLoan:
    """A loan still out, as the sweeper watches it for its due, overdue and lost stages."""

    asset: str
    person: str
    loan: str  # the checkout event id that started it
    due: datetime


@dataclass(frozen=True)
class Raise:
    id: str
    stage: Stage
    loan: OpenLoan


def alert_id(stage: Stage, loan: OpenLoan) -> str:
    return f"{stage.value}:{loan.loan}:{int(loan.due.timestamp())}"


def horizon(now: datetime, rules: AlertRules) -> datetime:
    """Loans due after this have earned nothing yet, so the store need not read them."""
    return now + rules.due_soon


def stages(loan: OpenLoan, now: datetime, rules: AlertRules) -> list[Stage]:
    """Every stage the loan has reached, in order; the latest is the one that matters."""
    if now < loan.due - rules.due_soon:
        return []
    if now < loan.due:
        return [Stage.DUE_SOON]
    reached = [Stage.OVERDUE]
    if now >= loan.due + rules.escalate_after:
        reached.append(Stage.ESCALATED)
    if now >= loan.due + rules.lost_after:
        reached.append(Stage.LOST)
    return reached


@dataclass(frozen=True)
class Sweep:
    raise_: list[Raise]
    withdraw: list[str]  # ids of open alerts whose loan ended or moved


def sweep(
    loans: Iterable[OpenLoan], open_alerts: Iterable[str], now: datetime, rules: AlertRules
) -> Sweep:
    """Compare loans near or past their due time with the alerts already raised.

    ``loans`` are the loans due before ``horizon(now)``; ``open_alerts`` are the ids raised
    and not withdrawn. A loan that jumped past several stages while the hub was down gets only
    the latest overdue stage plus 'overdue' itself (nobody needs a 'due soon' mail a week late).
    """
    wanted: dict[str, Raise] = {}
    for loan in loans:
        reached = stages(loan, now, rules)
        if not reached:
            continue
        if len(reached) > 2:
            reached = [reached[0], reached[-1]]
        for stage in reached:
            r = Raise(alert_id(stage, loan), stage, loan)
            wanted[r.id] = r
    opened = set(open_alerts)
    # an open 'due soon' stays open (not withdrawn) once the loan is merely overdue: what
    # matters is that its loan, at the same due time, is still wanted
    current = {_loan_key(i) for i in wanted}
    return Sweep(
        raise_=[r for i, r in sorted(wanted.items()) if i not in opened],
        withdraw=sorted(i for i in opened if i not in wanted and _loan_key(i) not in current),
    )


def _loan_key(alert: str) -> str:
    """The loan and due time an alert id names (its id without the stage)."""
    return alert.split(":", 1)[1]


def text(stage: Stage, asset_name: str, asset: str, person_name: str, due: str) -> str:
    """One sentence for the person, the feed and the mail subject."""
    match stage:
        case Stage.DUE_SOON:
            return f"{asset_name} ({asset}) held by {person_name} is due back at {due}."
        case Stage.OVERDUE:
            return f"{asset_name} ({asset}) held by {person_name} was due at {due}: overdue."
        case Stage.ESCALATED:
            return f"{asset_name} ({asset}) is still out with {person_name}, due {due}: escalated."
        case Stage.LOST:
            return f"{asset_name} ({asset}) with {person_name}, due {due}, is presumed lost."
        case Stage.WITHDRAWN:
            return f"{asset_name} ({asset}) from {person_name}, due {due}, is back or extended."


def boundary_windows(
    last: datetime, now: datetime, rules: AlertRules
) -> list[tuple[datetime, datetime]]:
    """Due times (each window ``[lo, hi]``, ends included) of loans that may have reached a
    stage after the pass at ``last`` and by ``now``: besides the loans that changed, the only
    ones a pass at ``now`` must look at when the pass at ``last`` left every alert as wanted.
    The ends are included because a loan due exactly at a pass's horizon is read only by the
    next pass. Overlapping windows are merged, so a long gap reads each loan once."""
    if now < last:
        return []
    offsets = (-rules.due_soon, timedelta(0), rules.escalate_after, rules.lost_after)
    spans = sorted((last - off, now - off) for off in offsets)
    merged = [spans[0]]
    for lo, hi in spans[1:]:
        if lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged
