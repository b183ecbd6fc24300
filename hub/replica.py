"""Builds the retained replica snapshot kiosks decide from when the hub is out of reach."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from wire import (
    LoanPeriodSpec,
    ReplicaAsset,
    ReplicaBooking,
    ReplicaHolding,
    ReplicaPerson,
    ReplicaPolicy,
    ReplicaSnapshot,
)


def build_snapshot(
    rows: dict[str, Any], version: int, now: datetime, rules: ReplicaPolicy | None = None
) -> ReplicaSnapshot:
    """Pure assembly from ``Store.replica_rows()``; no I/O."""
    badges: dict[str, list[str]] = defaultdict(list)
    for b in rows["badges"]:
        badges[b["person_id"]].append(b["uid"])
    held: dict[str, dict[str, datetime | None]] = defaultdict(dict)
    for t in rows["trainings"]:
        held[t["person"]][t["name"]] = t["expires"]
    return ReplicaSnapshot(
        version=version,
        at=now,
        people=[
            ReplicaPerson(
                id=p["id"],
                name=p["name"],
                badges=sorted(badges[p["id"]]),
                active=bool(p["active"]),
                staff=bool(p["staff"]),
                trainings=held[p["id"]],
                blocked_until=p["blocked_until"]
                if p["blocked_until"] is not None and p["blocked_until"] > now
                else None,
                blocked_reason=p["blocked_reason"]
                if p["blocked_until"] is not None and p["blocked_until"] > now
                else None,
                strikes=rows["strikes"].get(p["id"], 0),
                notices=rows["notices"].get(p["id"], []),
            )
            for p in rows["people"]
        ],
        assets=[
            ReplicaAsset(
                code=a["code"],
                name=a["name"],
                category=a["category"],
                lendable=a["status"] in ("available", "out"),
                in_maintenance=a["status"] == "maintenance",
                kit=a["kit"],
            )
            for a in rows["assets"]
        ],
        bookings=[ReplicaBooking(**b) for b in rows["bookings"]],
        holdings=[
            ReplicaHolding(
                asset=h["asset"], person=h["person"], due=h["due"], renewals=h["renewals"]
            )
            for h in rows["holdings"]
        ],
        policy=(rules or ReplicaPolicy()).model_copy(
            update={
                "loans": {
                    name: LoanPeriodSpec(kind=period, amount=amount)
                    for name, (period, amount) in rows["categories"].items()
                },
                "requires": dict(rows["requires"]),
            }
        ),
        kiosk_seqs=dict(rows["kiosk_seqs"]),
    )
