"""Dashboard users: argon2 password hashes, roles, and the rules for creating a user."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.store import Store

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    VIEWER = "viewer"


def hash_password(plain: str) -> str:
    return _hasher.hash(plain)


def verify_password(password_hash: str, plain: str) -> bool:
    try:
        return _hasher.verify(password_hash, plain)
    except (VerificationError, InvalidHashError):
        return False


def create_user(store: Store, username: str, password: str, role: str, now: datetime) -> None:
    """Validate and store a new user; ValueError says what to change."""
    if not _USERNAME.match(username):
        raise ValueError("username: 2-64 lowercase letters, digits, dots, dashes or underscores")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password: at least {MIN_PASSWORD} characters")
    try:
        Role(role)
    except ValueError:
        raise ValueError(f"role: one of {', '.join(r.value for r in Role)}") from None
    store.add_user(username, hash_password(password), role, now)
