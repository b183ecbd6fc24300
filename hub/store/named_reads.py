"""Loans and custody events with the names people know them by: what one person holds, and
ledger events with their item's and kiosk's names. The borrower's pages and the desk read them
through these, so each lists a loan or an event as the other does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from hub.store.schema import assets, holdings, kiosks, ledger


@dataclass(frozen=True)
class NamedEvent:
    """A ledger event as ``named_events`` reads it."""

    at: datetime
    type: str
    person: str | None
    badge: str | None
    asset: str | None
    due: datetime | None
    condition: str | None
    reason: str | None
    detail: str | None
    kiosk: str
    name: str | None  # the item's
    source: str | None  # the kiosk's name


def held_by(person: str, *more: ColumnElement[Any]) -> Select[Any]:
    """What ``person`` holds, soonest due first: the asset, its ``name`` and ``due``, then
    the columns ``more``."""
    return (
        select(holdings.c.asset, assets.c.name, holdings.c.due, *more)
        .select_from(holdings.join(assets, assets.c.code == holdings.c.asset))
        .where(holdings.c.person == person)
        .order_by(holdings.c.due, holdings.c.asset)
    )


def named_events(*where: ColumnElement[bool]) -> Select[Any]:
    """The ledger's events that match ``where``, each with its item's ``name`` (None for an
    event of no item, or of an item no longer registered) and its kiosk's (``source``: None
    for a kiosk not registered); the caller orders and limits them."""
    return (
        select(
            ledger.c.at,
            ledger.c.type,
            ledger.c.person,
            ledger.c.badge,
            ledger.c.asset,
            ledger.c.due,
            ledger.c.condition,
            ledger.c.reason,
            ledger.c.detail,
            ledger.c.kiosk,
            assets.c.name,
            kiosks.c.name.label("source"),
        )
        .select_from(
            ledger.outerjoin(assets, assets.c.code == ledger.c.asset).outerjoin(
                kiosks, kiosks.c.id == ledger.c.kiosk
            )
        )
        .where(*where)
    )
