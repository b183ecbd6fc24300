"""Staff door PINs: the salted scrypt hash the hub stores and kiosks verify offline.

The hash is a PHC string, ``$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>`` (salt and key in
standard base64 without padding), so any scrypt implementation can check it. The cost lives in
the string: a kiosk verifies whatever cost the hub chose, and tests may use a cheap one.

A PIN is 4 to 8 digits. Its hash travels to kiosks in the replica: a hash of so few digits can
be searched whole by someone who reads it, so what protects the door is the badge together with
the kiosk's lockout after wrong PINs, not the secrecy of the hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PIN_PATTERN = re.compile(r"[0-9]{4,8}")  # whole: fullmatch
MIN_DIGITS, MAX_DIGITS = 4, 8

# N = 2^14, r = 8: 16 MiB of memory per check; see README "Staff PINs" for the time it takes
LOG2_N, BLOCK, PARALLEL = 14, 8, 1
_SALT_BYTES, _KEY_BYTES = 16, 32
_HASH = re.compile(
    r"\$scrypt\$ln=(?P<ln>[0-9]{1,2}),r=(?P<r>[0-9]{1,2}),p=(?P<p>[0-9]{1,2})"
    r"\$(?P<salt>[A-Za-z0-9+/]{16,64})\$(?P<key>[A-Za-z0-9+/]{16,88})"
)
MAX_HASH_LENGTH = 200


class PinFormatError(ValueError):
    """Not a PIN (4 to 8 digits), or not a PIN hash this module can check."""


@dataclass(frozen=True)
class PinHash:
    log2_n: int
    r: int
    p: int
    salt: bytes
    key: bytes


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def check_pin(pin: str) -> str:
    """``pin`` if it is 4 to 8 digits; else a PinFormatError that says so."""
    if not PIN_PATTERN.fullmatch(pin):
        raise PinFormatError(f"a PIN is {MIN_DIGITS} to {MAX_DIGITS} digits")
    return pin


def _derive(pin: str, salt: bytes, log2_n: int, r: int, p: int, length: int) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(
        pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * r * n * p + 2**20, dklen=length
    )


def hash_pin(pin: str, log2_n: int = LOG2_N, r: int = BLOCK, p: int = PARALLEL) -> str:
    """A new salted hash of ``pin`` (which must be 4 to 8 digits)."""
    check_pin(pin)
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(pin, salt, log2_n, r, p, _KEY_BYTES)
    return f"$scrypt$ln={log2_n},r={r},p={p}${_b64(salt)}${_b64(key)}"


def parse_hash(text: str) -> PinHash:
    """The parts of a PIN hash; PinFormatError if it is not one this module can check (a cost
    beyond what a Pi can afford counts as not one)."""
    found = _HASH.fullmatch(text) if len(text) <= MAX_HASH_LENGTH else None
    if found is None:
        raise PinFormatError("not a $scrypt$ PIN hash")
    log2_n, r, p = int(found["ln"]), int(found["r"]), int(found["p"])
    if not (1 <= log2_n <= 20 and 1 <= r <= 16 and 1 <= p <= 4):
        raise PinFormatError("the PIN hash's cost is out of range")
    return PinHash(log2_n, r, p, _unb64(found["salt"]), _unb64(found["key"]))


def usable(text: str | None) -> bool:
    """Whether ``text`` is a PIN hash a kiosk can check."""
    if text is None:
        return False
    try:
        parse_hash(text)
    except PinFormatError:
        return False
    return True


def verify_pin(stored: str, pin: str) -> bool:
    """Whether ``pin`` is the PIN ``stored`` was made from; anything that is not a PIN is not."""
    if not PIN_PATTERN.fullmatch(pin):
        return False
    h = parse_hash(stored)
    return hmac.compare_digest(_derive(pin, h.salt, h.log2_n, h.r, h.p, len(h.key)), h.key)
