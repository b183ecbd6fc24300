"""Who is asking and may they: session sign-ins and API tokens, roles, CSRF.

Every route but the login page, the health check and static files declares the least role it
needs with ``Need(Role.X)``; tests enumerate the routes to keep it so.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from hub.store import Store
from hub.web import sessions
from hub.web.auth import Role

# a borrower ranks below a viewer: every dashboard page refuses them
RANK = {Role.BORROWER: -1, Role.VIEWER: 0, Role.MANAGER: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role
    via_token: bool = False
    cages: frozenset[str] | None = None  # the cages they are limited to; None: every cage
    person: str | None = None  # whose account this is, if a person's

    def may(self, role: Role) -> bool:
        return RANK[self.role] >= RANK[role]

    def sees(self, cage: str | None) -> bool:
        """Whether something whose home (or place) is ``cage`` is theirs to see and change."""
        return self.cages is None or cage in self.cages

    @property
    def actor(self) -> str:
        """How the audit log names them."""
        return f"token:{self.username}" if self.via_token else self.username


class LoginRequired(Exception):
    """Answered with a redirect to the login page (HTML) or 401 (API)."""


class Forbidden(Exception):
    def __init__(self, role: Role, held: Role | None = None) -> None:
        super().__init__(f"needs the {role.value} role")
        self.role = role
        self.held = held  # the role the caller has


class BadCsrf(Exception):
    pass


def principal(request: Request) -> Principal:
    store: Store = request.app.state.store
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        found = store.token_role(header[7:].strip(), request.app.state.clock())
        if found is None:
            raise LoginRequired()
        name, role = found
        return Principal(name, Role(role), via_token=True)
    session = sessions.current(request)
    if session is None:
        raise LoginRequired()
    role = Role(session.role)
    staff = role not in (Role.ADMIN, Role.BORROWER)
    cages = store.user_cages(session.username) if staff else frozenset()
    return Principal(session.username, role, cages=cages or None, person=session.person)


class Need:
    """A route dependency: the caller must be logged in with at least ``role``."""

    def __init__(self, role: Role) -> None:
        self.role = role

    def __call__(self, who: Annotated[Principal, Depends(principal)]) -> Principal:
        if not who.may(self.role):
            raise Forbidden(self.role, who.role)
        return who


class NotABorrower(Exception):
    """A signed-in user whose account is no person's opened a borrower's page."""


class OwnAccount(Need):
    """A route dependency: signed in by a session (any role) as a person's own account."""

    def __init__(self) -> None:
        super().__init__(Role.BORROWER)

    def __call__(self, who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.person is None or who.via_token:
            raise NotABorrower()
        return who


SignedIn = Annotated[Principal, Depends(Need(Role.BORROWER))]  # anyone signed in
Borrower = Annotated[Principal, Depends(OwnAccount())]
Viewer = Annotated[Principal, Depends(Need(Role.VIEWER))]
Manager = Annotated[Principal, Depends(Need(Role.MANAGER))]
Admin = Annotated[Principal, Depends(Need(Role.ADMIN))]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, sent: str | None, who: Principal) -> None:
    """Forms and cookie-authenticated API calls carry the session's token; bearer tokens are
    not sent by browsers on their own, so they need none."""
    if who.via_token:
        return
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not sent or not secrets.compare_digest(expected, sent):
        raise BadCsrf()
