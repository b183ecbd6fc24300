"""Replica deltas: what the hub sends between full snapshots, and how a kiosk applies them.

Both sides use these two pure functions, so ``apply_delta(old, diff(old, new)) == new`` is the
whole contract (checked by the tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from pydantic import BaseModel

from wire.messages import ReplicaBooking, ReplicaDelta, ReplicaSnapshot

M = TypeVar("M", bound=BaseModel)


def _changes(
    old: Iterable[M], new: Iterable[M], key: Callable[[M], str]
) -> tuple[list[M], list[str]]:
    before = {key(x): x for x in old}
    after = {key(x): x for x in new}
    changed = [x for k, x in after.items() if before.get(k) != x]
    removed = sorted(k for k in before if k not in after)
    return changed, removed


def _bookings(snap: ReplicaSnapshot) -> dict[str, list[ReplicaBooking]]:
    by_asset: dict[str, list[ReplicaBooking]] = {}
    for b in snap.bookings:
        by_asset.setdefault(b.asset, []).append(b)
    return by_asset


def diff(old: ReplicaSnapshot, new: ReplicaSnapshot) -> ReplicaDelta:
    people, people_removed = _changes(old.people, new.people, lambda p: p.id)
    assets, assets_removed = _changes(old.assets, new.assets, lambda a: a.code)
    holdings, holdings_removed = _changes(old.holdings, new.holdings, lambda h: h.asset)
    before, after = _bookings(old), _bookings(new)
    bookings = {
        asset: after.get(asset, [])
        for asset in sorted(set(before) | set(after))
        if before.get(asset, []) != after.get(asset, [])
    }
    return ReplicaDelta(
        base=old.version,
        version=new.version,
        at=new.at,
        people=people,
        people_removed=people_removed,
        assets=assets,
        assets_removed=assets_removed,
        holdings=holdings,
        holdings_removed=holdings_removed,
        bookings=bookings,
        policy=new.policy if new.policy != old.policy else None,
        kiosk_seqs={k: v for k, v in new.kiosk_seqs.items() if old.kiosk_seqs.get(k) != v},
    )


def _merge(
    old: Iterable[M], changed: Iterable[M], removed: Iterable[str], key: Callable[[M], str]
) -> list[M]:
    merged = {key(x): x for x in old}
    for k in removed:
        merged.pop(k, None)
    for x in changed:
        merged[key(x)] = x
    return [merged[k] for k in sorted(merged)]


def apply_delta(snap: ReplicaSnapshot, delta: ReplicaDelta) -> ReplicaSnapshot:
    """The snapshot ``delta`` leads to; ValueError if it was made for another base version."""
    if delta.base != snap.version:
        raise ValueError(f"delta {delta.base}->{delta.version} does not apply to {snap.version}")
    bookings = _bookings(snap)
    bookings.update(delta.bookings)
    return ReplicaSnapshot(
        version=delta.version,
        at=delta.at,
        people=_merge(snap.people, delta.people, delta.people_removed, lambda p: p.id),
        assets=_merge(snap.assets, delta.assets, delta.assets_removed, lambda a: a.code),
        holdings=_merge(snap.holdings, delta.holdings, delta.holdings_removed, lambda h: h.asset),
        bookings=[b for asset in sorted(bookings) for b in bookings[asset]],
        policy=delta.policy if delta.policy is not None else snap.policy,
        kiosk_seqs={**snap.kiosk_seqs, **delta.kiosk_seqs},
    )


__all__ = ["apply_delta", "diff"]
