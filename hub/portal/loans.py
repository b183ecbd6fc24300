"""A borrower's loans as they think of them: a kit is one thing with its pieces under it, due
at one time, renewed whole; each with whether it may be renewed now, and why not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.store.borrower import MyLoan
from rules.lending import Person
from rules.renewal import renew
from wire import ReplicaPolicy


@dataclass(frozen=True)
class Unit:
    code: str  # what a renewal names: the kit's code, or the item's
    name: str
    due: datetime  # the earliest of its pieces'
    overdue: bool
    renewals: int  # the most any of its loans has had
    pieces: tuple[MyLoan, ...]  # a kit's pieces held (not the kit itself); () for an item
    renewable: bool
    why_not: str | None  # the rule's refusal, when not renewable


def group(loans: Sequence[MyLoan]) -> list[list[MyLoan]]:
    """The loans by kit (the kit's own loan first when held), loose items alone, in the
    order of the first loan of each."""
    groups: dict[str, list[MyLoan]] = {}
    for loan in loans:
        groups.setdefault(loan.held.kit or loan.code, []).append(loan)
    return [
        sorted(members, key=lambda ln: (ln.code != key, ln.held.due, ln.code))
        for key, members in groups.items()
    ]


def units(
    loans: Sequence[MyLoan], person: Person, now: datetime, policy: ReplicaPolicy
) -> list[Unit]:
    held = [ln.held for ln in loans]
    out: list[Unit] = []
    for members in group(loans):
        head = members[0]
        kit = head.held.kit
        decided = renew(held, head.code, person, now, policy)
        due = min(ln.held.due for ln in members)
        out.append(
            Unit(
                code=head.code,
                name=decided.name if decided is not None else head.held.name,
                due=due,
                overdue=due <= now,
                renewals=max(ln.held.renewals for ln in members),
                pieces=tuple(ln for ln in members if kit is not None and ln.code != kit),
                renewable=decided is not None and decided.granted,
                why_not=decided.refusal if decided is not None else None,
            )
        )
    return sorted(out, key=lambda u: (u.due, u.code))
