"""The desk's cart: what each scanned code means for the person at the counter, and the custody
events confirming it records. Pure: the person, their loans, the items and a time in.

With a person chosen, each item is judged by the kiosks' own rules (rules.lending, and
rules.kits for a kit, lent whole at one due time or not at all): lent, taken back, or refused
with the kiosk's reason. A manager may lend despite a refusal about the person
or a booking (an override, with a reason); never despite one about the item itself (held by
someone else, in repair, retired, unknown), which a manager fixes on the item first. With no
person chosen the desk takes items back from whoever holds them, like a return station.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from rules.kits import Blocked, blocked_detail, blocked_text, kit_due
from rules.lending import REFUSAL_TEXT, Action, Cart, Item, Person, judge
from rules.policy import due_for
from wire import DenialReason, EventType, ReplicaPolicy, ReturnCondition

OVERRIDABLE = frozenset(
    {
        DenialReason.BLOCKED,
        DenialReason.OVERDUE_ITEMS,
        DenialReason.ITEM_LIMIT,
        DenialReason.NOT_TRAINED,
        DenialReason.NOT_IN_GROUP,
        DenialReason.BOOKED_BY_OTHER,
    }
)
NOT_OUT = "Not on loan: nothing to check in"
DETAIL_MAX = 200  # the wire contract's limit on an event's detail


@dataclass(frozen=True)
class Line:
    code: str
    name: str
    action: Action
    reason: DenialReason | None = None  # the refusal (kept on an overridden line)
    text: str | None = None  # the refusal in words
    due: datetime | None = None
    holder: str | None = None  # whose loan comes back
    kit: str | None = None  # the kit this piece goes out or comes back with
    override: str | None = None  # the manager's reason for lending despite ``reason``
    detail: str | None = None  # what the refusal's event records (a kit: the piece)

    @property
    def overridable(self) -> bool:
        return self.action is Action.REFUSED and self.reason in OVERRIDABLE


@dataclass(frozen=True)
class Entry:
    """A custody event the desk records; the source gives it an id, a number and a
    signature."""

    type: EventType
    person: str | None
    asset: str | None
    due: datetime | None = None
    condition: ReturnCondition | None = None
    reason: DenialReason | None = None
    detail: str | None = None
    id: str | None = None  # a fixed event id, so the same fact sent twice is one event


def lines_for(
    person: Person | None,
    held: Mapping[str, datetime],
    codes: Sequence[str],
    found: Mapping[str, Item],
    overrides: Mapping[str, str],
    now: datetime,
    policy: ReplicaPolicy,
) -> list[Line]:
    """The cart's lines for ``codes`` in the order scanned, a kit's pieces after it.
    ``held``: what the person holds now and when each is due."""
    lines: list[Line] = []
    # what comes back makes room first, whatever the order it was scanned in
    back = frozenset(
        piece.code
        for code in codes
        if (item := found.get(code)) is not None
        for piece in (item, *item.members)
        if person is not None and piece.holder == person.id
    )
    for code in codes:
        if any(line.code == code for line in lines):
            continue
        item = found.get(code)
        if item is None:
            reason = DenialReason.UNKNOWN_ITEM
            lines.append(Line(code, code, Action.REFUSED, reason, REFUSAL_TEXT[reason]))
            continue
        lines += _unit(item, person, held, back, lines, overrides.get(code), now, policy)
    return lines


def _unit(
    item: Item,
    person: Person | None,
    held: Mapping[str, datetime],
    back: frozenset[str],
    lines: Sequence[Line],
    why: str | None,
    now: datetime,
    policy: ReplicaPolicy,
) -> list[Line]:
    """An item's line, or a kit's and its pieces' (rules.kits): a kit goes out whole, due at
    one time, or not at all, its line naming the piece that keeps it in; coming back, only the
    pieces still out come with it."""
    due = None
    if item.members and person is not None:
        due = kit_due(policy, [item.category, *(p.category for p in item.members)], now)
    line = _line(item, person, held, back, lines, why, now, policy, due)
    if line.action is Action.REFUSED or not item.members:
        return [line]
    pieces: list[Line] = []
    for piece in item.members:
        if any(other.code == piece.code for other in lines):
            continue
        judged = _line(piece, person, held, back, [*lines, line, *pieces], why, now, policy, due)
        if line.action is Action.RETURN:
            if judged.action is Action.RETURN:  # a piece already back stays on the shelf
                pieces.append(replace(judged, kit=item.code))
            continue
        if judged.action is not Action.CHECKOUT:
            blocked = Blocked(piece.code, piece.name, judged.text or "not available")
            text = blocked_text(blocked)
            detail = clip(blocked_detail(item.code, blocked))
            return [
                replace(
                    line,
                    action=Action.REFUSED,
                    reason=judged.reason,
                    text=text,
                    due=None,
                    override=None,
                    detail=detail,
                )
            ]
        pieces.append(replace(judged, kit=item.code))
    return [line, *pieces]


def _line(
    item: Item,
    person: Person | None,
    held: Mapping[str, datetime],
    back: frozenset[str],
    lines: Sequence[Line],
    why: str | None,
    now: datetime,
    policy: ReplicaPolicy,
    due: datetime | None = None,
) -> Line:
    """One item judged alone; ``why``: the manager's override for it (or for its kit)."""
    if person is None:
        if item.holder is None:
            return Line(item.code, item.name, Action.REFUSED, text=NOT_OUT)
        return Line(item.code, item.name, Action.RETURN, holder=item.holder)
    cart = Cart(
        held=tuple(held),
        overdue=any(when <= now for when in held.values()),
        returning=back,
        taking=sum(1 for ln in lines if ln.action is Action.CHECKOUT),
    )
    verdict = judge(item, person, cart, now, policy, due)
    line = Line(
        item.code,
        item.name,
        verdict.action,
        verdict.reason,
        verdict.text,
        verdict.due,
        holder=person.id if verdict.action is Action.RETURN else None,
    )
    if line.overridable and why:
        return replace(
            line,
            action=Action.CHECKOUT,
            due=due or due_for(policy, item.category, now),
            override=why,
        )
    return line


def denial(line: Line, person: Person) -> Entry | None:
    """The refusal a kiosk would record for this line when it was scanned (None: nothing to
    record, as for a check-in of an item nobody holds)."""
    if line.action is not Action.REFUSED or line.reason is None:
        return None
    return Entry(EventType.DENIED, person.id, line.code, reason=line.reason, detail=line.detail)


def entries(
    lines: Sequence[Line],
    person: Person | None,
    conditions: Mapping[str, ReturnCondition],
    actor: str,
) -> list[Entry]:
    """The events confirming the cart records. A kit piece reported missing is not taken
    back: it stays on the loan, and its kit comes back marked with the missing pieces named
    (as at a kiosk)."""
    missing: dict[str, list[str]] = {}
    for line in lines:
        gone = conditions.get(line.code) is ReturnCondition.MISSING_PART
        if line.kit and line.action is Action.RETURN and gone:
            missing.setdefault(line.kit, []).append(line.code)
    out: list[Entry] = []
    for line in lines:
        if line.action is Action.CHECKOUT and person is not None:
            detail = clip(f"desk override by {actor}: {line.override}") if line.override else None
            out.append(Entry(EventType.CHECKOUT, person.id, line.code, due=line.due, detail=detail))
        elif line.action is Action.RETURN:
            if line.kit and line.code in missing.get(line.kit, ()):
                continue
            condition = conditions.get(line.code, ReturnCondition.OK)
            detail = None
            if line.code in missing:
                if condition is ReturnCondition.OK:
                    condition = ReturnCondition.MISSING_PART
                detail = clip("missing: " + ", ".join(missing[line.code]))
            out.append(
                Entry(EventType.RETURN, line.holder, line.code, condition=condition, detail=detail)
            )
    return out


def clip(text: str) -> str:
    """Cut to the wire contract's limit on an event's detail."""
    return text if len(text) <= DETAIL_MAX else text[: DETAIL_MAX - 1] + "…"
