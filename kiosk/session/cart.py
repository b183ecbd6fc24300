"""The cart: what each scan adds, the condition chosen for a return, and the confirm that
records it all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from kiosk.screens import CONDITIONS, CartLine, LineAction
from kiosk.session.effects import Effect, Feedback, Record, Signal
from kiosk.session.inputs import LabelScanned
from kiosk.session.model import Mode, Settings, State, cage_zone, idle
from kiosk.session.pickup import booked_text, reserved_until
from kiosk.session.staff import count, end_count
from rules.kits import Blocked, blocked_detail, blocked_text, kit_due
from rules.lending import REFUSAL_TEXT, Cart, Item, Person, judge
from wire import DenialReason, EventType, ReturnCondition


def scan(
    state: State, event: LabelScanned, now: datetime, settings: Settings
) -> tuple[State, list[Effect]]:
    if state.mode is not Mode.CART or state.person is None:
        hint = replace(idle(state), message="Tap your badge first", expires=now + settings.linger)
        return hint, [Feedback(Signal.ERROR)]
    if event.code is None:
        text = "That code is not an equipment label"
        rec = Record(
            EventType.DENIED,
            session=state.session,
            badge=state.badge,
            person=state.person.id,
            reason=DenialReason.NOT_A_LABEL,
            detail=(event.error or "not a Cagekeeper label")[:200],  # never the raw content
        )
        return replace(state, message=text, expires=now + settings.inactivity), [
            Feedback(Signal.ERROR),
            rec,
        ]
    if any(line.code == event.code for line in state.lines):
        # shown again after it left the camera's view: already in the cart, nothing to add
        name = next(line.name for line in state.lines if line.code == event.code)
        text = f"{name} is already on the list"
        if state.stocktake:
            counted = sum(1 for ln in state.lines if ln.action is LineAction.COUNTED)
            text = f"Count: {counted} counted ({name} already)"
        return replace(state, message=text, expires=now + settings.inactivity), [
            Feedback(Signal.OK)
        ]
    if state.stocktake:
        return count(state, event, state.person, now, settings)
    kit = event.item if event.item is not None and event.item.members else None
    due = reserved_until(state, event.code)  # a reservation goes out until its window ends
    if due is None and kit is not None and kit.holder != state.person.id:
        categories = (kit.category, *(piece.category for piece in kit.members))
        due = kit_due(settings.policy, categories, now)  # a kit going out: one due time
    line, reason = _line_for(event, state, state.person, now, settings, due)
    lines = (*state.lines, line)
    detail = None
    if reason is None and kit is not None:
        lines, blocked = _with_kit_pieces(lines, kit, state, state.person, now, settings, due)
        if blocked is not None:
            reason, detail = blocked
    new = replace(state, lines=lines, message=None, expires=now + settings.inactivity)
    if reason is None:
        return new, [Feedback(Signal.OK)]
    rec = Record(
        EventType.DENIED,
        session=state.session,
        badge=state.badge,
        person=state.person.id,
        asset=event.code,
        reason=reason,
        detail=detail,
    )
    return new, [Feedback(Signal.ERROR), rec]


def _with_kit_pieces(
    lines: tuple[CartLine, ...],
    kit: Item,
    state: State,
    person: Person,
    now: datetime,
    settings: Settings,
    due: datetime | None,
) -> tuple[tuple[CartLine, ...], tuple[DenialReason, str] | None]:
    """A kit's label brings its pieces into the cart. Coming back: the pieces the person
    holds (one returned already is not lent again). Going out: every piece, all due at the
    kit's one due time (rules.kits), or none of them: a piece that cannot go keeps the whole
    kit in, and the kit's line names it (returned with the reason and the denial's detail)."""
    kit_line = lines[-1]
    if kit_line.action is LineAction.RETURN:
        back = tuple(
            CartLine(piece.code, piece.name, LineAction.RETURN, kit=kit.code)
            for piece in kit.members
            if piece.holder == person.id and not any(ln.code == piece.code for ln in lines)
        )
        return (*lines, *back), None
    before: tuple[CartLine, ...] = lines[:-1]
    pieces: list[CartLine] = []
    for piece in kit.members:
        # a piece scanned on its own before the kit joins the kit's line and due time
        cart = (*(ln for ln in before if ln.code != piece.code), kit_line, *pieces)
        scanned = LabelScanned(raw=f"CK1:{piece.code}", code=piece.code, item=piece)
        line, reason = _line_for(scanned, replace(state, lines=cart), person, now, settings, due)
        if line.action is not LineAction.CHECKOUT:
            why = (
                "still on your loans: bring it back first"
                if line.action is LineAction.RETURN
                else line.reason or "cannot be lent"
            )
            blocker = Blocked(piece.code, piece.name, why)
            text = blocked_text(blocker)
            refused = replace(kit_line, action=LineAction.REFUSED, reason=text, due=None)
            denial = reason or DenialReason.HELD_BY_OTHER
            return (*before, refused), (denial, blocked_detail(kit.code, blocker))
        pieces.append(replace(line, kit=kit.code))
    kept = tuple(ln for ln in before if ln.code not in {p.code for p in pieces})
    return (*kept, kit_line, *pieces), None


def _line_for(
    event: LabelScanned,
    state: State,
    person: Person,
    now: datetime,
    settings: Settings,
    due: datetime | None = None,
) -> tuple[CartLine, DenialReason | None]:
    """The cart line a scan makes; ``due``: the due time if the item goes out (a kit's one
    due time), else its category's."""
    assert event.code is not None
    item = event.item
    if item is None:
        reason = DenialReason.UNKNOWN_ITEM
        return CartLine(event.code, event.code, LineAction.REFUSED, REFUSAL_TEXT[reason]), reason
    cart = Cart(
        held=tuple(loan.code for loan in state.loans),
        overdue=any(loan.overdue for loan in state.loans),
        returning=frozenset(ln.code for ln in state.lines if ln.action is LineAction.RETURN),
        taking=sum(1 for ln in state.lines if ln.action is LineAction.CHECKOUT),
    )
    verdict = judge(item, person, cart, now, settings.policy, due)
    text = verdict.text
    if verdict.reason is DenialReason.BOOKED_BY_OTHER:
        text = booked_text(item, person.id, now, cage_zone(settings))
    line = CartLine(item.code, item.name, LineAction(verdict.action.value), text, verdict.due)
    return line, verdict.reason


def next_condition(condition: str) -> str:
    return CONDITIONS[(CONDITIONS.index(condition) + 1) % len(CONDITIONS)]


def set_condition(state: State, code: str, choose: Callable[[str], str]) -> State:
    """Only a line coming back has a condition; a checkout or a refusal has none."""
    if state.mode is not Mode.CART:
        return state
    lines = tuple(
        replace(line, condition=choose(line.condition))
        if line.code == code and line.action is LineAction.RETURN
        else line
        for line in state.lines
    )
    return replace(state, lines=lines)


def confirm(state: State, now: datetime, settings: Settings) -> tuple[State, list[Effect]]:
    if state.mode is not Mode.CART or state.person is None:
        return state, []
    if state.stocktake:  # each scan was recorded as it came; this only ends the count
        if state.stash:  # back to the cart that waited aside
            return end_count(state, "Count done"), [Feedback(Signal.DONE)]
        done = replace(
            state, mode=Mode.RECEIPT, stocktake=False, message=None, expires=now + settings.linger
        )
        return done, [Feedback(Signal.DONE)]
    actionable = [line for line in state.lines if line.action is not LineAction.REFUSED]
    if not actionable:
        text = (
            "Nothing here can be lent or returned: see the reasons above"
            if state.lines
            else "Scan an item first"
        )
        return replace(state, message=text), [Feedback(Signal.ERROR)]
    # A kit piece reported missing is not returned: it stays on the person's loans, and the
    # kit goes back marked incomplete with the missing pieces named.
    missing: dict[str, list[str]] = {}
    for line in actionable:
        if line.kit and line.action is LineAction.RETURN and line.condition == "missing_part":
            missing.setdefault(line.kit, []).append(line.code)
    effects: list[Effect] = []
    shown: list[CartLine] = []
    for line in actionable:
        if line.kit and line.code in missing.get(line.kit, ()):
            shown.append(
                replace(
                    line, action=LineAction.REFUSED, reason="Reported missing: still on your loans"
                )
            )
            continue
        kind = EventType.CHECKOUT if line.action is LineAction.CHECKOUT else EventType.RETURN
        condition, detail = None, None
        if kind is EventType.RETURN:
            condition = ReturnCondition(line.condition)
            if line.code in missing:
                if condition is ReturnCondition.OK:
                    condition = ReturnCondition.MISSING_PART
                detail = "missing: " + ", ".join(missing[line.code])
        effects.append(
            Record(
                kind,
                session=state.session,
                badge=state.badge,
                person=state.person.id,
                asset=line.code,
                due=line.due,
                condition=condition,
                detail=detail,
            )
        )
        shown.append(line)
    effects.append(Feedback(Signal.DONE))
    receipt = replace(
        state,
        mode=Mode.RECEIPT,
        lines=tuple(shown),
        message=None,
        expires=now + settings.linger,
    )
    return receipt, effects
