"""Borrowers' calendar feed secrets: calendar apps fetch a feed without signing in, so its
address carries a random token, of which only the sha256 is kept (a database copy does not
open anyone's feed). One per user; a new one replaces the old at once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import delete, insert, select

from hub.store import journal
from hub.store.base import StoreBase
from hub.store.schema import feed_tokens, users

FEED_PREFIX = "ckf_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class FeedTokens(StoreBase):
    """Who has a calendar feed, since when, and whose feed a token opens."""

    def new_feed_token(self, username: str, now: datetime) -> str:
        """Make ``username``'s feed token, ending any earlier one (audited); the caller shows
        it once."""
        token = FEED_PREFIX + secrets.token_urlsafe(32)
        with self._tx() as conn:
            replaced = conn.execute(
                delete(feed_tokens).where(feed_tokens.c.username == username)
            ).rowcount
            conn.execute(
                insert(feed_tokens).values(username=username, digest=_digest(token), created_at=now)
            )
            action = "portal.feed.renew" if replaced else "portal.feed.create"
            journal.audit(conn, now, username, action, username)
        return token

    def end_feed_token(self, username: str, now: datetime) -> bool:
        """Stop ``username``'s feed (audited); False if there was none."""
        with self._tx() as conn:
            gone = conn.execute(delete(feed_tokens).where(feed_tokens.c.username == username))
            if gone.rowcount:
                journal.audit(conn, now, username, "portal.feed.end", username)
        return bool(gone.rowcount)

    def feed_since(self, username: str) -> datetime | None:
        """When ``username``'s feed address was made (None: they have none)."""
        with self.engine.connect() as conn:
            made: datetime | None = conn.scalar(
                select(feed_tokens.c.created_at).where(feed_tokens.c.username == username)
            )
        return made

    def feed_owner(self, token: str) -> str | None:
        """The user whose feed ``token`` opens, if it is live and they are not disabled."""
        if not token.startswith(FEED_PREFIX) or len(token) > 100:
            return None
        with self.engine.connect() as conn:
            found: str | None = conn.scalar(
                select(feed_tokens.c.username)
                .select_from(feed_tokens.join(users, users.c.username == feed_tokens.c.username))
                .where(feed_tokens.c.digest == _digest(token), users.c.disabled.is_(False))
            )
        return found
