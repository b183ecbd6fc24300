"""What a person already holds: how their loans read now, and extending one."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from kiosk.screens import HeldItem
from kiosk.session.effects import Effect, Feedback, Record, Signal
from kiosk.session.model import Mode, Settings, State
from rules.renewal import Held, renew
from wire import EventType


def loan_now(loan: HeldItem, now: datetime, settings: Settings) -> HeldItem:
    overdue = loan.due <= now
    extendable = not overdue and loan.renewals < settings.policy.max_renewals
    return replace(loan, overdue=overdue, extendable=extendable)


def extend(
    state: State, code: str, now: datetime, settings: Settings
) -> tuple[State, list[Effect]]:
    """Renew a loan by the shared rule (rules.renewal, which the borrower portal runs too): one
    loan period more from its due time, within the policy's limit, a kit whole or not at all."""
    if state.mode is not Mode.CART or state.person is None:
        return state, []
    held = [
        Held(ln.code, ln.name, ln.category, ln.due, ln.renewals, ln.booked_from, ln.kit)
        for ln in state.loans
    ]
    decided = renew(held, code, state.person, now, settings.policy)
    if decided is None:
        return state, []
    if decided.due is None:
        return replace(state, message=decided.refusal), [Feedback(Signal.ERROR)]
    due = decided.due
    unit = [ln for ln in state.loans if ln.code in decided.codes]
    renewed = {
        ln.code: loan_now(replace(ln, due=due, renewals=ln.renewals + 1), now, settings)
        for ln in unit
    }
    loans = tuple(renewed.get(ln.code, ln) for ln in state.loans)
    records: list[Effect] = [
        Record(
            EventType.EXTEND,
            session=state.session,
            badge=state.badge,
            person=state.person.id,
            asset=ln.code,
            due=due,
        )
        for ln in unit
    ]
    text = f"Extended: {decided.name}"
    return replace(state, loans=loans, message=text, expires=now + settings.inactivity), [
        *records,
        Feedback(Signal.OK),
    ]
