"""Access groups in the registry: the groups (courses, departments) a category is restricted to,
and the groups each person is in, kept apart by where they came from.

A person's groups come from two sources, each replaced only by itself: the registry's
(``people.groups``: the people spreadsheet, the dashboard's person form, the CLI) and the
identity provider's (``people.provider_groups``: the claims it sent at the person's latest
sign-in). A spreadsheet import therefore never wipes what sign-in gave, nor a sign-in what the
spreadsheet gave; the rules see both together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, select, update

from hub.domain.access_groups import (
    CATEGORY_GROUPS_LENGTH,
    GROUP_LENGTH,
    GroupSource,
    checked_groups,
    joined,
    split,
)
from hub.errors import NotFound
from hub.store import journal
from hub.store.base import StoreBase
from hub.store.locks import chunks
from hub.store.schema import assets, categories, people
from rules.eligibility import clean_groups


@dataclass(frozen=True)
class CategoryRules:
    """A category as managers set it: loan period, training, access groups, and its size."""

    name: str
    period: str
    amount: int
    requires: str | None
    groups: tuple[str, ...]
    items: int


@dataclass(frozen=True)
class PersonGroups:
    registry: tuple[str, ...]
    provider: tuple[str, ...]


def category_groups(conn: Connection, names: Iterable[str] | None = None) -> dict[str, list[str]]:
    """The restricted categories' groups (all categories', or these)."""
    q = select(categories.c.name, categories.c.groups).where(categories.c.groups.is_not(None))
    found: dict[str, list[str]] = {}
    parts: Iterable[Sequence[str] | None] = [None] if names is None else chunks(sorted(set(names)))
    for part in parts:
        rows = conn.execute(q if part is None else q.where(categories.c.name.in_(part)))
        for name, text in rows:
            if groups := split(text):
                found[name] = list(groups)
    return found


class GroupStore(StoreBase):
    def set_groups(
        self, person: str, groups: Iterable[str], source: GroupSource = GroupSource.PROVIDER
    ) -> None:
        """Replace a person's groups from one source (by default the identity provider's, as
        sign-in gives them); the other source's stay."""
        column = "provider_groups" if source is GroupSource.PROVIDER else "groups"
        kept = clean_groups(g for g in groups if ";" not in g and len(g) <= GROUP_LENGTH)
        with self._tx() as conn:
            done = conn.execute(
                update(people).where(people.c.id == person).values({column: joined(kept)})
            )
        if done.rowcount == 0:
            raise NotFound(f"no person {person!r}")

    def import_groups(self, found: Mapping[str, Sequence[str]], now: datetime, actor: str) -> int:
        """Replace the registry's groups of each person named (a group list read by
        hub.sheets.groups); people not named keep theirs, and so does everyone's identity
        provider groups. All or nothing: a person the registry lacks refuses the whole list.
        Audited once; returns how many people's groups changed."""
        wanted = {person: joined(groups) for person, groups in found.items()}
        with self._tx() as conn:
            now_held: dict[str, str | None] = {}
            for part in chunks(sorted(wanted)):
                q = select(people.c.id, people.c.groups).where(people.c.id.in_(part))
                now_held.update({r.id: r.groups for r in conn.execute(q)})
            unknown = sorted(set(wanted) - set(now_held))
            if unknown:
                more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
                raise NotFound(f"not in the registry: {', '.join(unknown[:5])}{more}")
            rows = [{"pid": p, "new": g} for p, g in wanted.items() if now_held[p] != g]
            if rows:
                change = update(people).where(people.c.id == bindparam("pid"))
                conn.execute(change.values(groups=bindparam("new")), rows)
            changed = len(rows)
            detail = f"{changed} of {len(wanted)} people's groups changed"
            journal.audit(conn, now, actor, "people.groups_import", None, detail)
        return changed

    def person_groups(self, person: str) -> PersonGroups:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(people.c.groups, people.c.provider_groups).where(people.c.id == person)
            ).first()
        if row is None:
            raise NotFound(f"no person {person!r}")
        return PersonGroups(split(row.groups), split(row.provider_groups))

    def set_category_groups(
        self, category: str, groups: Iterable[str], now: datetime, actor: str
    ) -> tuple[str, ...]:
        """Restrict a category to these groups (none: open to everyone again), making the
        category (24-hour loans) if it is new; audited. Returns the groups as kept."""
        kept = checked_groups(groups, CATEGORY_GROUPS_LENGTH)
        name = category.strip()
        if not name or len(name) > 64:
            raise ValueError("a category name has 1 to 64 characters")
        with self._tx() as conn:
            values = {"groups": joined(kept)}
            done = conn.execute(update(categories).where(categories.c.name == name).values(values))
            if done.rowcount == 0:
                conn.execute(insert(categories).values(name=name, amount=24, **values))
            detail = ", ".join(kept) or "open to everyone"
            journal.audit(conn, now, actor, "category.groups", name, detail)
        return kept

    def category_rules(self) -> list[CategoryRules]:
        """Every category, configured or only named by an asset, by name."""
        with self.engine.connect() as conn:
            rows = {r.name: r for r in conn.execute(select(categories))}
            sizes: dict[str, int] = dict(
                conn.execute(
                    select(assets.c.category, func.count()).group_by(assets.c.category)
                ).all()
            )
        return [
            CategoryRules(
                name,
                rows[name].period if name in rows else "hours",
                rows[name].amount if name in rows else 24,
                rows[name].requires if name in rows else None,
                split(rows[name].groups) if name in rows else (),
                int(sizes.get(name, 0)),
            )
            for name in sorted({*rows, *sizes})
        ]
