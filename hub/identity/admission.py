"""Who an account the provider vouched for is at the cage, and whether they may sign in.

The provider proved the account; this decides the dashboard user: the one its subject was
linked to before, else (when allowed) an existing staff user of the same username, else the
user of the person its claim names (made at the first sign-in, a borrower unless a staff group
says otherwise). Anyone the cage does not know is refused and nothing is made for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from hub.errors import AlreadyExists
from hub.identity.settings import Mapping
from hub.store import Store
from hub.web.auth import Role, sign_up_external

RANK = {"viewer": 0, "manager": 1, "admin": 2}
_NOT_IN_NAME = re.compile(r"[^a-z0-9._-]+")
INACTIVE = "Your record at this cage is no longer active. Ask the cage staff."


@dataclass(frozen=True)
class Account:
    """An account a provider vouched for, with what it said of it."""

    provider: str  # the provider's key: "oidc:<issuer>", "ldap:<server>"
    label: str  # the provider's name as people see it
    subject: str  # never reassigned by the provider (OIDC sub, an LDAP entry's DN)
    username: str | None
    person_key: str | None  # the claim or attribute value naming the person
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Admitted:
    username: str
    role: str


class Refused(Exception):
    """The provider vouched for the account, but it may not sign in here; the message says
    why to the person at the browser."""


def admit(store: Store, account: Account, mapping: Mapping, now: datetime) -> Admitted:
    """The user ``account`` signs in as (linked and audited); Refused says why not."""
    try:
        admitted = _choose(store, account, mapping, now)
    except Refused as refusal:
        who = account.username or account.subject
        store.audit(now, f"{account.label}:{who}"[:80], "user.sign_in_refused", who, str(refusal))
        raise
    if mapping.sync_groups and account.groups:
        person = store.get_user(admitted.username)
        if person is not None and person.person is not None:
            store.set_groups(person.person, sorted(set(account.groups)))
    detail = f"via {account.label} ({account.provider}) as {account.subject}"
    store.record_sign_in(account.provider, account.subject, admitted.username, now, detail)
    return admitted


def staff_role(groups: tuple[str, ...], mapping: Mapping) -> str | None:
    """The highest role the account's groups grant, if any."""
    roles = [mapping.staff_groups[g] for g in groups if g in mapping.staff_groups]
    return max(roles, key=RANK.__getitem__) if roles else None


def _choose(store: Store, account: Account, mapping: Mapping, now: datetime) -> Admitted:
    linked = store.linked_user(account.provider, account.subject)
    if linked is not None:
        return _may_sign_in(store, linked)
    if mapping.existing_users and account.username:
        existing = store.get_user(account.username.strip().lower())
        if existing is not None and existing.role != Role.BORROWER:
            return _may_sign_in(store, existing.username)
    role = staff_role(account.groups, mapping)
    person = _person(store, account, mapping)
    if person is not None:
        user = store.user_of_person(person)
        if user is not None:
            others = store.linked_subjects(account.provider, user.username)
            if others and account.subject not in others:
                raise Refused(
                    f"Person {person} already signs in with another {account.label} account. "
                    "Ask the cage staff."
                )
            return _may_sign_in(store, user.username)
        return _sign_up(
            store, account, _free_name(store, person), role or Role.BORROWER, person, now
        )
    if role is not None and account.username:
        name = _name_from(account.username)
        if name is None or store.get_user(name) is not None:
            raise Refused(
                f"There is already a user {account.username!r} here. Ask an administrator."
            )
        return _sign_up(store, account, name, role, None, now)
    raise Refused(
        f"Your {account.label} account ({account.person_key or account.username or 'no id'}) "
        "is not a person this cage knows. Ask the cage staff to add you, then sign in again."
    )


def _person(store: Store, account: Account, mapping: Mapping) -> str | None:
    if not account.person_key:
        return None
    found = store.people_matching(mapping.match, account.person_key)
    if len(found) > 1:
        raise Refused(
            f"More than one person here has {mapping.match} {account.person_key!r}. "
            "Ask the cage staff to correct it."
        )
    if not found:
        return None
    if not found[0].active:
        raise Refused(INACTIVE)
    return found[0].id


def _may_sign_in(store: Store, username: str) -> Admitted:
    user, account = store.login_user(username), store.get_user(username)
    if user is None or account is None:
        raise Refused("Your account here no longer exists. Ask an administrator.")
    if user.disabled:
        raise Refused("Your account here is disabled. Ask an administrator.")
    if account.person is not None:
        found = store.people_matching("id", account.person)
        if not found or not found[0].active:
            raise Refused(INACTIVE)
    return Admitted(user.username, user.role)


def _sign_up(
    store: Store, account: Account, name: str, role: str, person: str | None, now: datetime
) -> Admitted:
    try:
        sign_up_external(store, name, role, person, now, by=f"via {account.label}")
    except (AlreadyExists, ValueError) as exc:  # made by a sign-in a moment ago, or a bad name
        raise Refused(f"Your account could not be made here ({exc}). Try again.") from None
    return Admitted(name, role)


def _name_from(text: str) -> str | None:
    name = _NOT_IN_NAME.sub("-", text.strip().lower()).strip("-._")[:60]
    return name if len(name) >= 2 else None


def _free_name(store: Store, person: str) -> str:
    """A username for a person's new account: their id as a username, numbered if taken."""
    base = _name_from(person) or "person"
    for n in range(1, 100):
        name = base if n == 1 else f"{base}-{n}"
        if store.get_user(name) is None:
            return name
    raise Refused("No free username is left for you here. Ask an administrator.")
