"""API tokens for integrations and the audit log of what managers did."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from hub.errors import NotFound
from hub.store.base import StoreBase
from hub.store.schema import api_tokens, audit_log

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
class AuditEntry:
    at: datetime
    actor: str
    action: str
    target: str | None
    detail: str | None


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
            self._audit(conn, now, by, "token.create", name, role)
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
            self._audit(conn, now, by, "token.revoke", str(token_id))

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

    def audit_entries(self, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
        q = (
            select(
                audit_log.c.at,
                audit_log.c.actor,
                audit_log.c.action,
                audit_log.c.target,
                audit_log.c.detail,
            )
            .order_by(audit_log.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            return [AuditEntry(*tuple(r)) for r in conn.execute(q)]
