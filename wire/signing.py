"""HMAC-SHA256 over the canonical JSON of a message, so the hub refuses forged or altered events
even if the broker's ACLs are wrong.

Canonical form: the JSON object without its ``sig`` member, keys sorted at every level, no
insignificant whitespace, UTF-8, non-ASCII characters unescaped (what ``jq -cS`` prints).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import orjson


def canonical(message: dict[str, Any]) -> bytes:
    body = {k: v for k, v in message.items() if k != "sig"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(key: bytes, message: dict[str, Any]) -> str:
    return hmac.new(key, canonical(message), hashlib.sha256).hexdigest()


def verify(key: bytes, message: dict[str, Any]) -> bool:
    """Checked first against orjson's rendering of the canonical form (several times faster:
    the hub verifies every event), then, if that does not match, against the standard
    library's, which defines the form: the two agree on every message a kiosk sends, and a
    value they might render differently (a float's digits) falls back to the definition."""
    sig = message.get("sig")
    if not isinstance(sig, str) or not sig.isascii():  # compare_digest takes ASCII only
        return False
    expected = sig.lower()
    fast = _fast_canonical(message)
    mac = hmac.new(key, fast, hashlib.sha256).hexdigest() if fast is not None else None
    if mac is not None and hmac.compare_digest(mac, expected):
        return True
    return hmac.compare_digest(sign(key, message), expected)


def _fast_canonical(message: dict[str, Any]) -> bytes | None:
    body = {k: v for k, v in message.items() if k != "sig"}
    try:
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, an unpaired surrogate
        return None
