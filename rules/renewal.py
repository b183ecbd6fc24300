"""Renewing a loan: one more loan period from its due time, within the policy's limit. The
kiosk's "Extend" and the borrower portal's "Renew" both decide here, so a loan renews from home
exactly when it would renew at the cage. Pure: the person's loans, a time and the policy in.

A kit is renewed whole (rules.kits): the kit and every piece the person holds get one new due
time, or none does. A loan is not renewed once it is due, past ``max_renewals``, while the
person's loans are paused, nor into a booking someone else holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rules.kits import kit_due
from rules.lending import Person
from wire import ReplicaPolicy


@dataclass(frozen=True)
class Held:
    """One loan as renewing needs it."""

    code: str
    name: str
    category: str
    due: datetime
    renewals: int = 0
    booked_from: datetime | None = None  # when someone else's booking of it starts
    kit: str | None = None  # the kit it goes with (a kit's own code for the kit)


@dataclass(frozen=True)
class Renewal:
    """What renewing one loan would do: the codes renewed together and their new due time,
    or a sentence saying why not."""

    name: str  # the kit's name for a kit's piece, else the item's
    codes: tuple[str, ...]
    due: datetime | None = None
    refusal: str | None = None

    @property
    def granted(self) -> bool:
        return self.refusal is None


def overdue(loan: Held, now: datetime) -> bool:
    return loan.due <= now


def may_renew(loan: Held, now: datetime, policy: ReplicaPolicy) -> bool:
    """Before it is due and with renewals left (the person and bookings aside)."""
    return not overdue(loan, now) and loan.renewals < policy.max_renewals


def unit_of(loans: Sequence[Held], code: str) -> list[Held]:
    """The loans that renew with ``code``'s: its kit's, or itself alone."""
    loan = next((ln for ln in loans if ln.code == code), None)
    if loan is None:
        return []
    return [ln for ln in loans if ln.code == code or (loan.kit is not None and ln.kit == loan.kit)]


def renew(
    loans: Sequence[Held], code: str, person: Person, now: datetime, policy: ReplicaPolicy
) -> Renewal | None:
    """Renew the loan of ``code`` among ``loans`` (all the person holds); None when they do
    not hold it."""
    unit = unit_of(loans, code)
    if not unit:
        return None
    loan = next(ln for ln in unit if ln.code == code)
    name = next((ln.name for ln in unit if ln.code == loan.kit), loan.name)
    codes = tuple(ln.code for ln in unit)
    if person.blocked(now):
        return Renewal(
            name, codes, refusal=f"{name} cannot be extended while your loans are paused"
        )
    stuck = next((ln for ln in unit if not may_renew(ln, now, policy)), None)
    if stuck is not None:
        why = "it is overdue" if overdue(stuck, now) else "it was extended already"
        return Renewal(name, codes, refusal=f"{name} cannot be extended: {why}")
    due = kit_due(policy, [ln.category for ln in unit], min(ln.due for ln in unit))
    if any(ln.booked_from is not None and due > ln.booked_from for ln in unit):
        return Renewal(name, codes, refusal=f"{name} cannot be extended: someone has booked it")
    return Renewal(name, codes, due=due)
