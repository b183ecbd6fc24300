"""Reading the audit log: a page of it or all of it under a filter, the choices a filter
offers, and how the CLI tells whether a command recorded its own entry."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select

from hub.store.base import StoreBase
from hub.store.schema import audit_log

CHUNK = 1_000  # rows per read of the whole log


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    target: str | None
    detail: str | None


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to show; every part optional. ``action`` is an action (``asset.retire``)
    or a family of them (``asset``); ``text`` is looked for in the target and the detail."""

    actor: str = ""
    action: str = ""
    text: str = ""
    since: datetime | None = None
    until: datetime | None = None  # exclusive

    def where(self) -> list[Any]:
        cond: list[Any] = []
        if self.actor:
            cond.append(audit_log.c.actor == self.actor)
        if self.action:
            cond.append(
                or_(
                    audit_log.c.action == self.action,
                    audit_log.c.action.startswith(self.action + "."),
                )
            )
        if self.text:
            like = f"%{self.text.lower()}%"
            cond.append(
                or_(
                    func.lower(audit_log.c.target).like(like),
                    func.lower(audit_log.c.detail).like(like),
                )
            )
        if self.since is not None:
            cond.append(audit_log.c.at >= self.since)
        if self.until is not None:
            cond.append(audit_log.c.at < self.until)
        return cond


def _entries(f: AuditFilter) -> Select[Any]:
    return select(
        audit_log.c.id,
        audit_log.c.at,
        audit_log.c.actor,
        audit_log.c.action,
        audit_log.c.target,
        audit_log.c.detail,
    ).where(*f.where())


class AuditStore(StoreBase):
    def audit_entries(self, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
        """The newest entries, unfiltered."""
        return self.audit_page(AuditFilter(), limit, offset)

    def audit_page(self, f: AuditFilter, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        """Entries under ``f``, newest first."""
        q = _entries(f).order_by(audit_log.c.id.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [AuditEntry(*tuple(r)[1:]) for r in conn.execute(q)]

    def audit_rows(self, f: AuditFilter) -> Iterator[tuple[Any, ...]]:
        """Every entry under ``f``, newest first (at, actor, action, target, detail), read a
        chunk at a time."""
        last: int | None = None
        while True:
            q = _entries(f).order_by(audit_log.c.id.desc()).limit(CHUNK)
            if last is not None:
                q = q.where(audit_log.c.id < last)
            with self.engine.connect() as conn:
                found = conn.execute(q).all()
            for row in found:
                yield tuple(row)[1:]
            if len(found) < CHUNK:
                return
            last = found[-1].id

    def audit_choices(self) -> tuple[list[str], list[str]]:
        """Who has acted and the action families recorded (``asset``, ``person``...), sorted:
        what the audit page's filter offers."""
        with self.engine.connect() as conn:
            actors = list(conn.scalars(select(audit_log.c.actor).distinct()))
            actions = list(conn.scalars(select(audit_log.c.action).distinct()))
        families = {a.split(".", 1)[0] for a in actions}
        return sorted(actors), sorted(families | set(actions))

    def audit_mark(self) -> int:
        """The newest entry's number (0 when none): entries made after it number higher."""
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.max(audit_log.c.id))) or 0)

    def audited_since(self, mark: int, actor: str) -> bool:
        """Whether ``actor`` has an entry newer than ``mark``."""
        q = select(audit_log.c.id).where(audit_log.c.id > mark, audit_log.c.actor == actor)
        with self.engine.connect() as conn:
            return conn.execute(q.limit(1)).first() is not None
