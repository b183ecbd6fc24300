"""Who may use the hub: dashboard sign-ins (sessions, failed-login throttling, passwords and
disabled users), API tokens for integrations, and the audit log of what managers did."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hub.errors import NotFound
from hub.store import journal
from hub.store.base import StoreBase
from hub.store.schema import api_tokens, login_throttle, users, web_sessions

TOKEN_PREFIX = "ckt_"  # noqa: S105 - a marker, not a secret


@dataclass(frozen=True)
class Token:
    id: int
    name: str
    role: str
    created_by: str
    created_at: datetime
    revoked: bool
    last_used: datetime | None


@dataclass(frozen=True)
class SessionLimits:
    """How long a dashboard sign-in lasts: ``idle`` without a request, ``lifetime`` at most."""

    idle: timedelta
    lifetime: timedelta


@dataclass(frozen=True)
class WebSession:
    username: str
    role: str
    csrf: str
    flash: str | None
    person: str | None = None  # whose account it is, if a person's


@dataclass(frozen=True)
class ThrottleRule:
    """``limit`` failures within ``window`` of the first lock the key for ``lockout``."""

    limit: int
    window: timedelta
    lockout: timedelta


# A session's last-seen time is written at most this often: idle timeouts are measured to the
# minute, and a page's polling does not write to the database on every request.
SEEN_PRECISION = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccessStore(StoreBase):
    def add_token(self, name: str, role: str, by: str, now: datetime) -> str:
        """Make a token; only its digest is kept, so the caller shows it once."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._tx() as conn:
            conn.execute(
                insert(api_tokens).values(
                    name=name[:80], digest=_digest(token), role=role, created_by=by, created_at=now
                )
            )
            journal.audit(conn, now, by, "token.create", name, role)
        return token

    def token_role(self, token: str, now: datetime) -> tuple[str, str] | None:
        """(name, role) of a live token, noting when it was used; None if unknown or revoked."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self._tx() as conn:
            row = conn.execute(
                select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.role).where(
                    api_tokens.c.digest == _digest(token), api_tokens.c.revoked.is_(False)
                )
            ).first()
            if row is None:
                return None
            conn.execute(update(api_tokens).where(api_tokens.c.id == row.id).values(last_used=now))
        return row.name, row.role

    def revoke_token(self, token_id: int, now: datetime, by: str) -> None:
        with self._tx() as conn:
            done = conn.execute(
                update(api_tokens).where(api_tokens.c.id == token_id).values(revoked=True)
            )
            if done.rowcount == 0:
                raise NotFound(f"no token {token_id}")
            journal.audit(conn, now, by, "token.revoke", str(token_id))

    def tokens(self) -> list[Token]:
        q = select(
            api_tokens.c.id,
            api_tokens.c.name,
            api_tokens.c.role,
            api_tokens.c.created_by,
            api_tokens.c.created_at,
            api_tokens.c.revoked,
            api_tokens.c.last_used,
        ).order_by(api_tokens.c.id)
        with self.engine.connect() as conn:
            return [Token(*tuple(r)) for r in conn.execute(q)]

    # dashboard sessions ---------------------------------------------------------------------

    def start_session(self, username: str, now: datetime, limits: SessionLimits) -> str:
        """A new session for a user who just proved who they are; returns the token for the
        cookie (only its digest is kept). Sessions past their time are deleted here, so the
        table holds the live ones and those ended since the last sign-in."""
        token = secrets.token_urlsafe(32)
        with self._tx() as conn:
            conn.execute(
                delete(web_sessions).where(
                    or_(
                        web_sessions.c.expires_at <= now,
                        web_sessions.c.seen_at <= now - limits.idle,
                    )
                )
            )
            conn.execute(
                insert(web_sessions).values(
                    digest=_digest(token),
                    username=username,
                    csrf=secrets.token_urlsafe(32),
                    created_at=now,
                    seen_at=now,
                    expires_at=now + limits.lifetime,
                )
            )
        return token

    def web_session(self, token: str, now: datetime, limits: SessionLimits) -> WebSession | None:
        """The live session a cookie's token names, noting the request (at most once a
        minute); None if unknown, ended, idle too long, past its lifetime, or its user is
        disabled."""
        digest = _digest(token)
        live = and_(
            web_sessions.c.digest == digest,
            web_sessions.c.expires_at > now,
            web_sessions.c.seen_at > now - limits.idle,
            users.c.disabled.is_(False),
        )
        q = (
            select(
                users.c.username,
                users.c.role,
                web_sessions.c.csrf,
                web_sessions.c.flash,
                web_sessions.c.seen_at,
                users.c.person_id,
            )
            .select_from(web_sessions.join(users))
            .where(live)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            return None
        if now - row.seen_at >= SEEN_PRECISION:
            with self._tx() as conn:
                conn.execute(
                    update(web_sessions).where(web_sessions.c.digest == digest).values(seen_at=now)
                )
        return WebSession(row.username, row.role, row.csrf, row.flash, row.person_id)

    def save_session(self, token: str, csrf: str, flash: str | None) -> None:
        """Keep what a request changed in its session (the CSRF token, the next page's
        message)."""
        with self._tx() as conn:
            conn.execute(
                update(web_sessions)
                .where(web_sessions.c.digest == _digest(token))
                .values(csrf=csrf[:64], flash=flash[:300] if flash else None)
            )

    def end_session(self, token: str) -> None:
        with self._tx() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.digest == _digest(token)))

    def end_sessions(self, username: str, keep: str | None = None) -> int:
        """End a user's sessions, all but ``keep``; how many ended."""
        with self._tx() as conn:
            return end_sessions_of(conn, username, keep)

    def session_count(self, username: str, now: datetime, limits: SessionLimits) -> int:
        q = select(func.count()).where(
            web_sessions.c.username == username,
            web_sessions.c.expires_at > now,
            web_sessions.c.seen_at > now - limits.idle,
        )
        with self.engine.connect() as conn:
            return int(conn.scalar(q) or 0)

    # failed sign-ins ------------------------------------------------------------------------

    def login_locks(self, keys: Sequence[tuple[str, str]], now: datetime) -> set[str]:
        """Which scopes among these (scope, key) pairs are locked now (one query)."""
        if not keys:
            return set()
        q = select(login_throttle.c.scope).where(
            or_(*(and_(login_throttle.c.scope == s, login_throttle.c.key == k) for s, k in keys)),
            login_throttle.c.locked_until > now,
        )
        with self.engine.connect() as conn:
            return set(conn.scalars(q))

    def login_failed(self, keys: Sequence[tuple[str, str, ThrottleRule]], now: datetime) -> None:
        """Count a failed sign-in against each (scope, key), locking those that reach their
        rule's limit, in one transaction (every hub process on the database counts the same
        rows); rows whose window and lock are over are deleted."""
        t = login_throttle
        insert_ = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        with self._tx() as conn:
            longest = max((rule.window for _s, _k, rule in keys), default=timedelta(0))
            conn.execute(
                delete(t).where(
                    t.c.window_start <= now - longest,
                    or_(t.c.locked_until.is_(None), t.c.locked_until <= now),
                )
            )
            for scope, key, rule in keys:
                open_window = t.c.window_start > now - rule.window
                stmt = insert_(t).values(
                    scope=scope, key=key, failures=1, window_start=now, locked_until=None
                )
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[t.c.scope, t.c.key],
                        set_={
                            "failures": case((open_window, t.c.failures + 1), else_=1),
                            "window_start": case((open_window, t.c.window_start), else_=now),
                        },
                    )
                )
                conn.execute(
                    update(t)
                    .where(
                        t.c.scope == scope,
                        t.c.key == key,
                        t.c.failures >= rule.limit,
                        or_(t.c.locked_until.is_(None), t.c.locked_until <= now),
                    )
                    .values(locked_until=now + rule.lockout)
                )

    def login_succeeded(self, scope: str, key: str) -> None:
        """Forget an account's failures once its owner signs in."""
        with self._tx() as conn:
            conn.execute(
                delete(login_throttle).where(
                    login_throttle.c.scope == scope, login_throttle.c.key == key
                )
            )

    def throttle_rows(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(login_throttle)) or 0)


def end_sessions_of(conn: Connection, username: str, keep: str | None) -> int:
    where = web_sessions.c.username == username
    if keep is not None:
        where = and_(where, web_sessions.c.digest != _digest(keep))
    return conn.execute(delete(web_sessions).where(where)).rowcount
