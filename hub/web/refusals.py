"""Why a kiosk refused something, in a manager's words: the ledger keeps the reason's code
(docs/protocol.md, denial reasons); the feed, the timelines and the API show this text."""

from __future__ import annotations

from wire import DenialReason

TEXTS = {
    DenialReason.UNKNOWN_BADGE: "badge not registered",
    DenialReason.UNKNOWN_ITEM: "item not in the registry",
    DenialReason.NOT_A_LABEL: "not a Cagekeeper label",
    DenialReason.HELD_BY_OTHER: "checked out to someone else",
    DenialReason.NOT_LENDABLE: "not for loan (retired or disposed)",
    DenialReason.IN_MAINTENANCE: "in maintenance",
    DenialReason.NO_BADGE: "no badge shown",
    DenialReason.OVERDUE_ITEMS: "holds overdue items",
    DenialReason.ITEM_LIMIT: "would go over the item limit",
    DenialReason.BOOKED_BY_OTHER: "booked by someone else",
    DenialReason.NOT_TRAINED: "training missing or expired",
    DenialReason.NOT_IN_GROUP: "not in the item's access groups",
    DenialReason.BLOCKED: "blocked from borrowing",
    DenialReason.PIN_LOCKOUT: "locked out after wrong door PINs",
}


def refusal_text(reason: str | None, detail: str | None = None) -> str:
    """The reason's words, with the kiosk's detail when it sent one; a code this hub does not
    know yet (a newer kiosk) is shown as it came."""
    if not reason:
        return detail or ""
    try:
        words = TEXTS.get(DenialReason(reason), reason)
    except ValueError:
        words = reason.replace("_", " ")
    return f"{words}: {detail}" if detail else words
