"""What a person already holds: how their loans read now, and extending one."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from kiosk.screens import Loan
from kiosk.session.effects import Effect, Feedback, Record, Signal
from kiosk.session.model import Mode, Settings, State
from rules.kits import kit_due
from wire import EventType


def loan_now(loan: Loan, now: datetime, settings: Settings) -> Loan:
    overdue = loan.due <= now
    extendable = not overdue and loan.renewals < settings.policy.max_renewals
    return replace(loan, overdue=overdue, extendable=extendable)


def extend(
    state: State, code: str, now: datetime, settings: Settings
) -> tuple[State, list[Effect]]:
    """Renew a loan by one more loan period from its due time, within the policy's limit. A
    kit is renewed whole: the kit and every piece the person holds get one new due time
    (rules.kits), or none does."""
    loan = next((ln for ln in state.loans if ln.code == code), None)
    if state.mode is not Mode.CART or state.person is None or loan is None:
        return state, []
    unit = tuple(
        loan_now(ln, now, settings)
        for ln in state.loans
        if ln.code == code or (loan.kit is not None and ln.kit == loan.kit)
    )
    name = next((ln.name for ln in unit if ln.code == loan.kit), loan.name)
    if state.person.blocked(now):
        text = f"{name} cannot be extended while your loans are paused"
        return replace(state, message=text), [Feedback(Signal.ERROR)]
    stuck = next((ln for ln in unit if not ln.extendable), None)
    if stuck is not None:
        why = "it is overdue" if stuck.overdue else "it was extended already"
        return replace(state, message=f"{name} cannot be extended: {why}"), [Feedback(Signal.ERROR)]
    due = kit_due(settings.policy, [ln.category for ln in unit], min(ln.due for ln in unit))
    if any(ln.booked_from is not None and due > ln.booked_from for ln in unit):
        text = f"{name} cannot be extended: someone has booked it"
        return replace(state, message=text), [Feedback(Signal.ERROR)]
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
    text = f"Extended: {name}"
    return replace(state, loans=loans, message=text, expires=now + settings.inactivity), [
        *records,
        Feedback(Signal.OK),
    ]
