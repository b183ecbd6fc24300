"""Access groups as the registry keeps them: names joined by ";" in one column per source.

A person's groups come from two sources, each replaced only by itself: the registry's (the
people spreadsheet, the dashboard's person form, the CLI) and the identity provider's (the
claims it sent at the person's latest sign-in); the rules see both together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from rules.eligibility import clean_groups

GROUP_LENGTH = 64  # one group's name
CATEGORY_GROUPS_LENGTH = 500  # categories.groups, joined by ";"


class GroupSource(StrEnum):
    REGISTRY = "registry"  # spreadsheet, dashboard, CLI
    PROVIDER = "provider"  # the identity provider's claims at sign-in


def split(text: str | None) -> tuple[str, ...]:
    """Groups as stored (joined by ";") back into a tuple."""
    return clean_groups((text or "").split(";"))


def joined(groups: Iterable[str]) -> str | None:
    """Groups as stored: each once, joined by ";" (None for none)."""
    return ";".join(clean_groups(groups)) or None


def member_of(row: Mapping[Any, Any]) -> tuple[str, ...]:
    """A person's groups from both sources, from their ``people`` row."""
    return groups_of(row.get("groups"), row.get("provider_groups"))


def groups_of(registry: str | None, provider: str | None) -> tuple[str, ...]:
    """A person's groups from both sources, each as stored."""
    return clean_groups((*split(registry), *split(provider)))


def checked_groups(groups: Iterable[str], limit: int | None) -> tuple[str, ...]:
    """Groups a manager typed, refused (ValueError) if a name has a ";" or is too long, or
    together they do not fit ``limit`` characters."""
    kept = clean_groups(groups)
    for name in kept:
        if ";" in name:
            raise ValueError(f"a group name cannot contain ';': {name!r}")
        if len(name) > GROUP_LENGTH:
            raise ValueError(f"group {name[:20]!r}... is longer than {GROUP_LENGTH} characters")
    if limit is not None and len(";".join(kept)) > limit:
        raise ValueError(f"the groups together are longer than {limit} characters")
    return kept
