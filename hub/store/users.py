"""Dashboard users: their accounts, passwords, roles, and whether they may sign in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.exc import IntegrityError

from hub.errors import AlreadyExists, NotFound
from hub.store import journal
from hub.store.access import end_sessions_of
from hub.store.base import StoreBase
from hub.store.places import limit_to
from hub.store.schema import people, users


@dataclass(frozen=True)
class User:
    username: str
    password_hash: str | None  # None: signs in through an identity provider
    role: str
    person: str | None = None  # whose account it is, if a person's


@dataclass(frozen=True)
class LoginUser:
    username: str
    password_hash: str | None  # None: signs in through an identity provider only
    role: str
    disabled: bool


class Users(StoreBase):
    def add_user(
        self,
        username: str,
        password_hash: str | None,
        role: str,
        now: datetime,
        by: str | None = None,
        cages: Sequence[str] = (),
        person: str | None = None,
    ) -> None:
        """Store a new user, limited to ``cages`` if any are given (in the same transaction, so
        a limited user is never briefly unlimited), and ``person``'s account if one is named;
        ``by`` (who made it) goes in the audit log with it. NotFound if the person is unknown,
        AlreadyExists if the name is taken or the person has an account already."""
        try:
            with self._tx() as conn:
                if (
                    person is not None
                    and conn.scalar(select(people.c.id).where(people.c.id == person)) is None
                ):
                    raise NotFound(f"no person {person!r}")
                conn.execute(
                    insert(users).values(
                        username=username,
                        password_hash=password_hash,
                        role=role,
                        created_at=now,
                        person_id=person,
                    )
                )
                limit_to(conn, username, cages)
                if by is not None:
                    detail = f"{role}, {', '.join(sorted(cages)) or 'every cage'}"
                    if person is not None:
                        detail += f", person {person}"
                    journal.audit(conn, now, by, "user.add", username, detail)
        except IntegrityError as exc:
            taken = person is not None and self.user_of_person(person) is not None
            what = f"person {person!r} has an account" if taken else f"user {username!r} exists"
            raise AlreadyExists(what) from exc

    def get_user(self, username: str) -> User | None:
        return self._one_user(users.c.username == username)

    def user_of_person(self, person: str) -> User | None:
        """The account that is ``person``'s, if they have one."""
        return self._one_user(users.c.person_id == person)

    def _one_user(self, where: ColumnElement[bool]) -> User | None:
        q = select(users.c.username, users.c.password_hash, users.c.role, users.c.person_id)
        with self.engine.connect() as conn:
            row = conn.execute(q.where(where)).first()
        return User(*row) if row is not None else None

    def login_user(self, username: str) -> LoginUser | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    users.c.username, users.c.password_hash, users.c.role, users.c.disabled
                ).where(users.c.username == username)
            ).first()
        return LoginUser(*row) if row is not None else None

    def user_list(self) -> list[LoginUser]:
        q = select(
            users.c.username, users.c.password_hash, users.c.role, users.c.disabled
        ).order_by(users.c.username)
        with self.engine.connect() as conn:
            return [LoginUser(*r) for r in conn.execute(q)]

    def change_password(
        self, username: str, password_hash: str, now: datetime, by: str, keep: str | None = None
    ) -> None:
        """Set a user's password and end their sessions, all but ``keep`` (a session token: the
        browser that made the change stays signed in)."""
        with self._tx() as conn:
            done = conn.execute(
                update(users)
                .where(users.c.username == username)
                .values(password_hash=password_hash)
            )
            if done.rowcount == 0:
                raise NotFound(f"no user {username!r}")
            ended = end_sessions_of(conn, username, keep)
            journal.audit(conn, now, by, "user.password", username, f"{ended} other sessions ended")

    def set_user_disabled(self, username: str, disabled: bool, now: datetime, by: str) -> int:
        """Disable (ending every session) or enable a user; how many sessions ended."""
        with self._tx() as conn:
            done = conn.execute(
                update(users).where(users.c.username == username).values(disabled=disabled)
            )
            if done.rowcount == 0:
                raise NotFound(f"no user {username!r}")
            ended = end_sessions_of(conn, username, None) if disabled else 0
            action = "user.disable" if disabled else "user.enable"
            journal.audit(conn, now, by, action, username, f"{ended} sessions ended")
        return ended

    def set_user_role(self, username: str, role: str, now: datetime, by: str) -> None:
        """Give a user another role; their sessions read it at their next request. A borrower
        is a person's account: ValueError if the user is no one's."""
        with self._tx() as conn:
            found = conn.execute(
                select(users.c.role, users.c.person_id).where(users.c.username == username)
            ).first()
            if found is None:
                raise NotFound(f"no user {username!r}")
            before = found.role
            if role == "borrower" and found.person_id is None:
                raise ValueError(f"{username}: a borrower's account must be a person's")
            if before == role:
                return
            conn.execute(update(users).where(users.c.username == username).values(role=role))
            journal.audit(conn, now, by, "user.role", username, f"{before} to {role}")
