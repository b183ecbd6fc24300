"""Asset label contents (v1): what a Cagekeeper QR code says and how a kiosk reads it.

Two forms name the same asset code:
- ``CK1:<code>``: compact, for small labels;
- ``https://<hub>/a/<code>``: opens the asset's page when scanned by a phone.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from wire.errors import LabelError

# what an asset code is, everywhere: on labels, in messages (wire.messages.AssetCode), at the desk
ASSET_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,63}$")
COMPACT_PREFIX = "CK1:"


def compact_label(code: str) -> str:
    return f"{COMPACT_PREFIX}{code}"


def url_label(hub_base_url: str, code: str) -> str:
    return f"{hub_base_url.rstrip('/')}/a/{code}"


def parse_label(raw: str) -> str:
    """The asset code a label names; LabelError says why anything else is not a label."""
    text = raw.strip()
    if text.upper().startswith(COMPACT_PREFIX):
        return _code(text[len(COMPACT_PREFIX) :], raw)
    if text.lower().startswith(("https://", "http://")):
        parts = urlsplit(text)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) >= 2 and segments[-2] == "a":
            return _code(unquote(segments[-1]), raw)
        raise LabelError(f"a link that is not an asset label: {_shorten(raw)}")
    if re.match(r"^CK\d+:", text.upper()):
        raise LabelError(f"a label of a newer format this kiosk does not read: {_shorten(raw)}")
    raise LabelError(f"not a Cagekeeper label: {_shorten(raw)}")


def _code(candidate: str, raw: str) -> str:
    code = candidate.strip().upper()
    if not ASSET_CODE.match(code):
        raise LabelError(f"a label with an invalid asset code: {_shorten(raw)}")
    return code


def _shorten(raw: str) -> str:
    """What kind of code it was, not what it holds: the text lands in the append-only ledger,
    and a scanned code may carry a Wi-Fi password, a token or a private link. A link keeps its
    host, a code with a scheme (``WIFI:``, ``BEGIN:``) that scheme, anything else only its
    length; a Cagekeeper label (``CK<n>:``, an asset code) is kept whole."""
    text = "".join(ch for ch in raw.strip() if ch.isprintable())
    parts = urlsplit(text) if "://" in text else None
    if parts is not None and parts.scheme and parts.hostname:
        return f"{parts.scheme}://{parts.hostname}/… ({len(raw)} characters)"
    if re.match(r"^CK\d+:", text.upper()):  # one of ours: an asset code, nothing private
        return text if len(text) <= 70 else text[:69] + "…"
    scheme = _SCHEME.match(text)
    if scheme:
        return f"{scheme.group()}… ({len(raw)} characters)"
    return f"text of {len(raw)} characters"


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{0,15}:")
