"""Badge UIDs: the one rule for what a card's UID looks like, wherever one is read at a kiosk,
typed at the CLI, imported from a spreadsheet or sent on the wire.

ISO/IEC 14443-3 cards (MIFARE and the like) have single, double or triple size UIDs: 4, 7 or 10
bytes, no other length. A UID of another length is a typing slip, not a card, so it is refused
where it is entered instead of being stored for a badge no reader will ever report.

On the wire a UID is exact: upper-case hex, no separators. People copy UIDs from phone NFC apps
and reader tools as ``04:a1:b2:c3`` or ``04 A1 B2 C3``; ``normal_uid`` reads those too.
"""

from __future__ import annotations

import re

from wire.errors import WireError

UID_BYTES = (4, 7, 10)
# 8, 14 or 20 upper-case hex digits; unanchored, to find UIDs inside a text as well
UID_HEX = "[0-9A-F]{8}(?:[0-9A-F]{6}){0,2}"
UID_PATTERN = f"^{UID_HEX}$"
UID_RULE = "8, 14 or 20 hex digits (a 4, 7 or 10-byte card UID)"

_UID = re.compile(UID_HEX)
_SEPARATORS = re.compile(r"[\s:-]")


class BadUid(WireError):
    """Text that is not a badge UID by the rule above; the message says why."""


def is_uid(text: str) -> bool:
    """True if ``text`` is a UID exactly as the wire carries it."""
    return _UID.fullmatch(text) is not None


def normal_uid(text: str) -> str:
    """``text`` as a badge UID: upper case, byte separators (spaces, ``:``, ``-``) dropped.
    Raises BadUid, naming the rule and what was wrong, for anything else."""
    uid = _SEPARATORS.sub("", text).upper()
    if is_uid(uid):
        return uid
    shown = repr(text if len(text) <= 40 else text[:37] + "...")
    if not uid:
        raise BadUid(f"a badge UID is required: {UID_RULE}")
    if re.fullmatch("[0-9A-F]+", uid) is None:
        raise BadUid(f"{shown} is not a badge UID: only hex digits 0-9 and A-F, {UID_RULE}")
    raise BadUid(f"{shown} is not a badge UID: it has {len(uid)} hex digits, not {UID_RULE}")
