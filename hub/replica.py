"""Builds the replica kiosks decide from when the hub is out of reach, from the store's rows.

Pure: rows in, wire models out. The whole snapshot (``build_snapshot``) and the replica kept
current from changes (hub.replica_state) use the same conversions, so they cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub.domain.access_groups import groups_of
from hub.domain.lifecycle import LENDABLE, Status
from wire import (
    LoanPeriodSpec,
    ReplicaAsset,
    ReplicaBooking,
    ReplicaHolding,
    ReplicaPerson,
    ReplicaPolicy,
    ReplicaSnapshot,
)

if TYPE_CHECKING:  # the rows' types only: assembling them needs no database
    from hub.store.replica_rows import (
        ReplicaAssetRow,
        ReplicaBookingRow,
        ReplicaHoldingRow,
        ReplicaPersonRow,
        ReplicaRows,
    )


def person_of(
    p: ReplicaPersonRow,
    badges: Iterable[str],
    trainings: dict[str, datetime | None],
    strikes: int,
    notices: list[str],
    now: datetime,
) -> ReplicaPerson:
    """A person as kiosks see them at ``now``: a block that has ended is not shown."""
    blocked = p.blocked_until is not None and p.blocked_until > now
    return ReplicaPerson(
        id=p.id,
        name=p.name,
        badges=sorted(badges),
        active=p.active,
        staff=p.staff,
        trainings=trainings,
        blocked_until=p.blocked_until if blocked else None,
        blocked_reason=p.blocked_reason if blocked else None,
        strikes=strikes,
        notices=notices,
        pin=p.pin_hash if p.staff else None,  # only staff open the door
        groups=list(groups_of(p.groups, p.provider_groups)),
    )


def person_expires(
    p: ReplicaPersonRow, first_strike: datetime | None, term: timedelta, now: datetime
) -> datetime | None:
    """When time alone next changes how this person is shown: their block ends, or their
    oldest strike this term (``first_strike``: when it was returned) leaves the term."""
    times = []
    if p.blocked_until is not None and p.blocked_until > now:
        times.append(p.blocked_until)
    if first_strike is not None:
        times.append(first_strike + term)
    return min(times, default=None)


def asset_of(a: ReplicaAssetRow) -> ReplicaAsset:
    # available and out look the same here, so migration 0013's trigger does not log a move
    # between them: keep the two in step
    return ReplicaAsset(
        code=a.code,
        name=a.name,
        category=a.category,
        lendable=a.status in LENDABLE,
        in_maintenance=a.status == Status.MAINTENANCE,
        kit=a.kit,
    )


def holding_of(h: ReplicaHoldingRow) -> ReplicaHolding:
    return ReplicaHolding(asset=h.asset, person=h.person, due=h.due, renewals=h.renewals)


def booking_of(b: ReplicaBookingRow) -> ReplicaBooking:
    return ReplicaBooking(asset=b.asset, person=b.person, starts=b.starts, ends=b.ends)


def policy_of(
    categories: Mapping[str, tuple[str, int]],
    requires: Mapping[str, str],
    rules: ReplicaPolicy | None = None,
    groups: Mapping[str, list[str]] | None = None,
) -> ReplicaPolicy:
    """The hub's lending rules with the loan periods, trainings and access groups set per
    category."""
    return (rules or ReplicaPolicy()).model_copy(
        update={
            "loans": {
                name: LoanPeriodSpec(kind=period, amount=amount)
                for name, (period, amount) in categories.items()
            },
            "requires": dict(requires),
            "groups": dict(groups or {}),
        }
    )


def build_snapshot(
    rows: ReplicaRows, version: int, now: datetime, rules: ReplicaPolicy | None = None
) -> ReplicaSnapshot:
    """Pure assembly from ``Store.replica_rows()``; no I/O."""
    badges: dict[str, list[str]] = defaultdict(list)
    for b in rows.badges:
        badges[b.person_id].append(b.uid)
    held: dict[str, dict[str, datetime | None]] = defaultdict(dict)
    for t in rows.trainings:
        held[t.person][t.name] = t.expires
    return ReplicaSnapshot(
        version=version,
        at=now,
        people=[
            person_of(
                p,
                badges[p.id],
                held[p.id],
                rows.strikes.get(p.id, 0),
                rows.notices.get(p.id, []),
                now,
            )
            for p in rows.people
        ],
        assets=[asset_of(a) for a in rows.assets],
        bookings=[booking_of(b) for b in rows.bookings],
        holdings=[holding_of(h) for h in rows.holdings],
        policy=policy_of(rows.categories, rows.requires, rules, rows.groups),
        kiosk_seqs=dict(rows.kiosk_seqs),
    )
