"""Kits lent as one unit: one due time for the whole kit, and the piece that keeps it in.

A kit (a camera body with its lens and batteries) goes out whole or not at all, and comes back
together, so its pieces share one due time: the earliest any of them would get on its own
(the kit's own category and each piece's), so no piece is kept past its own loan period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from rules.policy import due_for
from wire import ReplicaPolicy


def kit_due(policy: ReplicaPolicy, categories: Iterable[str], start: datetime) -> datetime:
    """When a kit lent at ``start`` is due: the earliest due time of the categories of the kit
    and its pieces."""
    return min(due_for(policy, category, start) for category in set(categories))


@dataclass(frozen=True)
class Blocked:
    """A piece that keeps the whole kit from going out, and why (a sentence)."""

    code: str
    name: str
    why: str


def blocked_text(piece: Blocked) -> str:
    """What the person reads on the kit's line (which names the kit): the piece and why."""
    why = piece.why[:1].lower() + piece.why[1:]
    return f"{piece.name} ({piece.code}) cannot go: {why}"


def blocked_detail(kit: str, piece: Blocked) -> str:
    """The refusal as the ledger keeps it (a denied event's detail)."""
    return f"kit {kit} held back by {piece.code}: {piece.why}"[:200]
