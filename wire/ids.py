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
