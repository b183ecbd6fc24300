"""Who an identity provider's account is here: the person a claim names, and the user a
provider's subject was linked to at its first sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from hub.store import journal
from hub.store.base import StoreBase
from hub.store.schema import external_identities, people


@dataclass(frozen=True)
class MatchedPerson:
    id: str
    active: bool


class IdentityStore(StoreBase):
    def people_matching(self, column: str, value: str) -> list[MatchedPerson]:
        """The people whose ``column`` ("id", or "email" compared without case) is ``value``:
        more than one is an ambiguity the caller refuses."""
        if column == "email":
            where = func.lower(people.c.email) == value.strip().lower()
        elif column == "id":
            where = people.c.id == value.strip()
        else:
            raise ValueError(f"people have no column {column!r} to match")
        q = select(people.c.id, people.c.active).where(where).order_by(people.c.id).limit(2)
        with self.engine.connect() as conn:
            return [MatchedPerson(r.id, bool(r.active)) for r in conn.execute(q)]

    def linked_user(self, provider: str, subject: str) -> str | None:
        q = select(external_identities.c.username).where(
            external_identities.c.provider == provider, external_identities.c.subject == subject
        )
        with self.engine.connect() as conn:
            found = conn.scalar(q)
        return str(found) if found is not None else None

    def linked_subjects(self, provider: str, username: str) -> list[str]:
        """The subjects at ``provider`` already linked to ``username``."""
        q = select(external_identities.c.subject).where(
            external_identities.c.provider == provider, external_identities.c.username == username
        )
        with self.engine.connect() as conn:
            return list(conn.scalars(q))

    def record_sign_in(
        self, provider: str, subject: str, username: str, now: datetime, detail: str
    ) -> None:
        """Link the subject to the user (at its first sign-in) and audit the sign-in."""
        try:
            self._record_sign_in(provider, subject, username, now, detail)
        except IntegrityError:  # the same first sign-in in two tabs at once: linked already
            self._record_sign_in(provider, subject, username, now, detail)

    def _record_sign_in(
        self, provider: str, subject: str, username: str, now: datetime, detail: str
    ) -> None:
        with self._tx() as conn:
            done = conn.execute(
                update(external_identities)
                .where(
                    external_identities.c.provider == provider,
                    external_identities.c.subject == subject,
                )
                .values(last_sign_in=now)
            )
            if done.rowcount == 0:
                conn.execute(
                    insert(external_identities).values(
                        provider=provider,
                        subject=subject,
                        username=username,
                        created_at=now,
                        last_sign_in=now,
                    )
                )
            journal.audit(conn, now, username, "user.sign_in", username, detail)
