"""Time-ordered event ids (UUIDv7, RFC 9562) made at the kiosk from an injected clock."""

from __future__ import annotations

import secrets
import uuid


def uuid7(unix_ms: int, rand: bytes | None = None) -> str:
    """A UUIDv7 string; ``rand`` (10 bytes) may be given for reproducible tests."""
    tail = rand if rand is not None else secrets.token_bytes(10)
    if len(tail) != 10:
        raise ValueError("uuid7 needs 10 random bytes")
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (int.from_bytes(tail[:2], "big") & 0x0FFF) << 64
    value |= 0b10 << 62
    value |= int.from_bytes(tail[2:], "big") & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def uuid7_problem(text: str) -> str | None:
    """Why a lowercase dashed UUID is not a UUIDv7 (None if it is one).

    The ledger is ordered and deduplicated by these ids; a random (v4) or hand-made id carries
    no time and may collide with another kiosk's, so the hub refuses it with a reason a person
    can act on. ``text`` must already match the dashed-hex format.
    """
    version, variant = text[14], text[19]
    if version != "7":
        return f"the event id must be a UUIDv7 (RFC 9562); {text} is version {version}"
    if variant not in "89ab":
        return (
            f"the event id must be a UUIDv7 (RFC 9562) with the RFC variant bits 10; "
            f"{text} has variant nibble {variant}"
        )
    return None
