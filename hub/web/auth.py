"""Dashboard users: argon2 password hashes, roles, and the rules for creating a user and for
changing a password."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.store import Store

_hashers = [PasswordHasher()]  # argon2id at the library's recommended cost
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # sign-in refuses longer ones without hashing them


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    VIEWER = "viewer"
    BORROWER = "borrower"  # a person's own account: their loans and bookings, nothing else


STAFF_ROLES = (Role.ADMIN, Role.MANAGER, Role.VIEWER)


def use_hasher(hasher: PasswordHasher) -> None:
    """Hash new passwords with ``hasher`` from now on; hashes made at another cost still
    verify, as each carries its own parameters. The tests use a cheap one."""
    _hashers[0] = hasher
    dummy_hash.cache_clear()


def hash_password(plain: str) -> str:
    return _hashers[0].hash(plain)


@cache
def dummy_hash() -> str:
    """A hash of a random password, made like users' hashes: a sign-in as an unknown user is
    verified against it, so it costs what a wrong password costs."""
    return _hashers[0].hash(secrets.token_urlsafe(24))


def verify_password(password_hash: str | None, plain: str) -> bool:
    """Whether ``plain`` is the password; never for an account with none of ours."""
    if password_hash is None:
        return False
    try:
        return _hashers[0].verify(password_hash, plain)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    store: Store,
    username: str,
    password: str,
    role: str,
    now: datetime,
    by: str | None = None,
    cages: Sequence[str] = (),
    person: str | None = None,
) -> None:
    """Validate and store a new user (audited as made ``by`` someone, if given), ``person``'s
    account if one is named; ValueError says what to change, AlreadyExists if the name is
    taken or the person has an account, NotFound if there is no such person."""
    _check_account(username, role, cages, person)
    check_new_password(password)
    store.add_user(username, hash_password(password), role, now, by, cages, person)


def sign_up_external(
    store: Store, username: str, role: str, person: str | None, now: datetime, by: str
) -> None:
    """Store a user who signs in through an identity provider only: no password of ours, so
    the password form never lets them in. ``by`` names the provider in the audit log."""
    _check_account(username, role, (), person)
    store.add_user(username, None, role, now, by, (), person)


def _check_account(username: str, role: str, cages: Sequence[str], person: str | None) -> None:
    if not _USERNAME.match(username):
        raise ValueError("username: 2-64 lowercase letters, digits, dots, dashes or underscores")
    try:
        Role(role)
    except ValueError:
        raise ValueError(f"role: one of {', '.join(r.value for r in Role)}") from None
    if role == Role.BORROWER and person is None:
        raise ValueError("a borrower's account must name the person it is (--person)")
    if role == Role.BORROWER and cages:
        raise ValueError("a borrower sees only their own loans: no cages to limit them to")


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"password: at most {MAX_PASSWORD} characters")


def change_password(
    store: Store, username: str, password: str, now: datetime, by: str, keep: str | None = None
) -> None:
    """Set a new password and end the user's sessions but ``keep``; ValueError says what to
    change, NotFound if there is no such user."""
    check_new_password(password)
    store.change_password(username, hash_password(password), now, by, keep)
