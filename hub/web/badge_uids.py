"""Badge UIDs as each role sees them. A MIFARE Classic UID is easily written onto another card,
and a staff badge's UID alone unlocks the cage door, so only managers and admins see UIDs whole
(pages, CSV downloads, the API); a viewer sees the last few hex digits, enough to tell one
badge from another."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from hub.store.people import PersonRecord
from hub.store.profile_models import PersonDetail
from hub.web.auth import Role
from hub.web.security import Principal
from wire.badges import UID_HEX

SHOWN_DIGITS = 4
_NEAR_WORD_BADGE = re.compile(rf"(?i:badge)\W{{0,3}}\b({UID_HEX})\b")


def sees_uids(who: Principal) -> bool:
    return who.may(Role.MANAGER)


def masked(uid: str) -> str:
    """``04A1B2C3`` -> ``****B2C3``: the same length, only the last digits."""
    return "*" * max(len(uid) - SHOWN_DIGITS, 0) + uid[-SHOWN_DIGITS:]


def uid_for(who: Principal, uid: str) -> str:
    return uid if sees_uids(who) else masked(uid)


def text_for(who: Principal, text: str) -> str:
    """Free text (an enrolment conflict, a refusal) with any badge UID in it masked."""
    if sees_uids(who):
        return text
    return _NEAR_WORD_BADGE.sub(
        lambda m: m.group(0)[: m.start(1) - m.start(0)] + masked(m[1]), text
    )


def person_for(who: Principal, detail: PersonDetail) -> PersonDetail:
    """A person's detail (``Store.person_detail``) with their badges as ``who`` may see them."""
    if sees_uids(who):
        return detail
    badges = [replace(b, uid=masked(b.uid)) for b in detail.badges]
    history = [
        replace(h, detail=text_for(who, h.detail)) if h.detail else h for h in detail.history
    ]
    return replace(detail, badges=badges, history=history)


def export_rows_for(
    who: Principal, chunks: Iterable[list[PersonRecord]]
) -> Iterator[list[PersonRecord]]:
    """The people export's chunks (``Store.person_export``) with badges as ``who`` may see them."""
    if sees_uids(who):
        yield from chunks
        return
    for chunk in chunks:
        yield [replace(row, badges=[masked(uid) for uid in row.badges]) for row in chunk]
