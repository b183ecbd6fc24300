"""Per-cage scope: a user limited to some cages (locations) sees and changes only the kiosks
there, the assets whose home is there, and those assets' bookings and tickets. Admins and users
with no cages set see everything. Something out of scope answers as if it did not exist (404),
so a scoped user cannot even learn which codes another cage holds."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from fastapi import Response

from hub.store.registry import AssetRecord
from hub.store.views import FeedEntry
from hub.web.context import Web
from hub.web.security import Principal

T = TypeVar("T")


def for_every_cage(who: Principal, change: str) -> Response | None:
    """A change that reaches every cage (a category's rules, the list of locations, an import
    whose rows may name any cage's assets) is refused (403) to a user limited to some cages,
    saying they cannot ``change``; None for anyone else."""
    if who.cages is None:
        return None
    return Response(f"a manager limited to some cages cannot {change}", status_code=403)


def asset_visible(web: Web, who: Principal, code: str) -> bool:
    """Whether the asset exists and is theirs to see."""
    exists, home = web.store.asset_home(code)
    return exists and who.sees(home)


def kept(who: Principal, rows: Iterable[T], place: Callable[[T], str | None]) -> list[T]:
    """The rows whose place (an asset's home, a kiosk's location) the user sees."""
    if who.cages is None:
        return list(rows)
    return [r for r in rows if who.sees(place(r))]


def visible_assets(web: Web, who: Principal, codes: Iterable[str]) -> set[str]:
    """Which of these asset codes the user sees."""
    if who.cages is None:
        return set(codes)
    return {c for c, home in web.store.asset_homes(codes).items() if who.sees(home)}


def kept_chunks(who: Principal, chunks: Iterable[list[AssetRecord]]) -> Iterator[list[AssetRecord]]:
    """Chunks of asset rows (an export), each with only the assets the user sees."""
    for chunk in chunks:
        yield kept(who, chunk, lambda r: r.home)


def of_assets(web: Web, who: Principal, rows: Iterable[T], asset: Callable[[T], str]) -> list[T]:
    """The rows (bookings, tickets) about assets the user sees."""
    rows = list(rows)
    if who.cages is None:
        return rows
    seen = visible_assets(web, who, {asset(r) for r in rows})
    return [r for r in rows if asset(r) in seen]


def of_feed(web: Web, who: Principal, entries: Iterable[FeedEntry]) -> list[FeedEntry]:
    """Feed entries about assets the user sees; one naming no asset (an unknown badge at some
    kiosk) only for a user who sees every cage."""
    entries = list(entries)
    if who.cages is None:
        return entries
    about = [e for e in entries if e.asset is not None]
    return of_assets(web, who, about, lambda e: e.asset or "")


def booking_visible(web: Web, who: Principal, booking: int) -> bool:
    code = web.store.booking_asset(booking)
    return code is not None and asset_visible(web, who, code)


def ticket_visible(web: Web, who: Principal, ticket: int) -> bool:
    code = web.store.ticket_asset(ticket)
    return code is not None and asset_visible(web, who, code)
