"""Who a badge belongs to now, and whether it ever belonged to anyone: each registration is a
row of its own (migration 0018), the revoked ones kept as history."""

from __future__ import annotations

from sqlalchemy import Connection, select

from hub.store.schema import badges


def badge_owner(conn: Connection, uid: str) -> str | None:
    """Whom a badge is registered to now (its revoked registrations are history)."""
    return conn.scalar(
        select(badges.c.person_id).where(badges.c.uid == uid, badges.c.revoked.is_(False))
    )


def registered_before(conn: Connection, uid: str) -> bool:
    """Whether the badge was ever registered, revoked since or not."""
    return conn.scalar(select(badges.c.id).where(badges.c.uid == uid).limit(1)) is not None
