"""Whether a person may borrow from a category at all: the one place that says so for the
borrower portal's listings, so every rule about categories (trainings now, others later) is
added here once. Pure."""

from __future__ import annotations

from datetime import datetime

from rules.lending import Person
from wire import ReplicaPolicy


def category_refusal(
    person: Person, category: str, policy: ReplicaPolicy, now: datetime
) -> str | None:
    """Why ``person`` may not borrow items of ``category`` (a sentence), or None if they may."""
    needed = policy.requires.get(category)
    if needed and not person.trained(needed, now):
        return f"Needs the {needed} training"
    return None


def may_borrow(person: Person, category: str, policy: ReplicaPolicy, now: datetime) -> bool:
    return category_refusal(person, category, policy, now) is None
