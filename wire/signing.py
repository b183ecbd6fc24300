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


def canonical(message: dict[str, Any]) -> bytes:
    body = {k: v for k, v in message.items() if k != "sig"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(key: bytes, message: dict[str, Any]) -> str:
    return hmac.new(key, canonical(message), hashlib.sha256).hexdigest()


def verify(key: bytes, message: dict[str, Any]) -> bool:
    sig = message.get("sig")
    if not isinstance(sig, str) or not sig.isascii():  # compare_digest takes ASCII only
        return False
    return hmac.compare_digest(sign(key, message), sig.lower())
