"""Desk mode: a manager checks items out and in at the counter. The person is found by a badge
tapped on a USB reader (it types the UID and Enter into the focused field), an id or a name;
items by a USB scanner (it types the label) or by their code typed. Decisions and events are
a kiosk's (hub.desk); this module only turns requests into them and pages out of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from hub.desk import cart, lookup
from hub.desk.cart import Line
from hub.desk.source import DeskRefused, DeskSource
from hub.desk.visit import MAX_REASON, BadVisit, Visit, asset_code
from hub.errors import StoreError
from hub.store.journal import Note
from hub.web.actions import ManagerForm
from hub.web.context import Web, flash, take_flash, web_of
from hub.web.security import Manager, Principal
from rules.lending import Action, Person
from wire import DenialReason, EventType, LabelError, ReturnCondition

router = APIRouter()
STATE = ("visit", "person", "badge", "code", "ov")
CONDITIONS = (
    (ReturnCondition.OK, "OK"),
    (ReturnCondition.DAMAGED, "Damaged"),
    (ReturnCondition.MISSING_PART, "Missing a part"),
)
Text = Annotated[str, Form(max_length=500)]
Many = Annotated[list[str], Form(max_length=200)]


def _form_state(
    visit: Text = "",
    person: Text = "",
    badge: Text = "",
    code: Many = [],  # noqa: B006 (FastAPI copies defaults)
    ov: Many = [],  # noqa: B006
) -> dict[str, list[str]]:
    return {"visit": [visit], "person": [person], "badge": [badge], "code": code, "ov": ov}


State = Annotated[dict[str, list[str]], Depends(_form_state)]


@router.get("/desk")
def desk(request: Request, who: Manager, web: Annotated[Web, Depends(web_of)]) -> Response:
    query = {name: request.query_params.getlist(name) for name in STATE}
    if not query["visit"]:
        return _show(request, who, web, None, message=take_flash(request))
    try:
        visit = Visit.parse(query)
    except BadVisit as exc:
        return _bad(request, who, web, exc)
    if _confirmed(web, visit):  # its cart is spent: the receipt, not a cart to confirm again
        return RedirectResponse(f"/desk/receipt/{visit.id}", status_code=303)
    return _show(request, who, web, visit, message=take_flash(request))


@router.post("/desk/find")
def find(
    request: Request,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    q: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """A badge tapped, an id or a name typed: straight to that person's cart when it names one
    person, a list to choose from when it names several."""
    now = web.clock()
    if not q.strip():
        return _show(
            request, who, web, None, message="Tap a badge, or type a name or id", status=400
        )
    found = lookup.find_person(web.store, q, now)
    if found.person is not None:
        return _to(Visit.start(now, found.person.id, found.badge))
    if found.choices:
        return _show(request, who, web, None, choices=found.choices, q=q)
    forms = lookup.badge_forms(q)
    if forms:  # a badge nobody has: recorded, as a kiosk records it
        message = "Badge not recognised: register it on the person's page first"
        unknown = cart.Entry(EventType.DENIED, None, None, reason=DenialReason.UNKNOWN_BADGE)
        failed = _record(web, [unknown], Visit.start(now), forms[0])
        return _show(request, who, web, None, message=failed or message, q=q, status=404)
    return _show(request, who, web, None, message=f"No one matches “{q.strip()}”", q=q, status=404)


@router.post("/desk/scan")
def scan(
    request: Request,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    state: State,
    scanned: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """An item scanned or typed: into the cart, judged at once; a refusal is recorded as a
    kiosk records one at the scan."""
    now = web.clock()
    try:
        visit = Visit.parse(state) if state["visit"][0] else Visit.start(now)
        person = _person(web, visit, now)
    except BadVisit as exc:
        return _bad(request, who, web, exc)
    try:
        code = asset_code(scanned)
    except LabelError as exc:
        message = f"Not an equipment label or code: {exc}"
        if person is not None:
            entry = cart.Entry(
                EventType.DENIED,
                person.id,
                None,
                reason=DenialReason.NOT_A_LABEL,
                detail=cart.clip(str(exc)),
            )
            message = _record(web, [entry], visit, visit.badge) or message
        return _show(request, who, web, visit, message=message, status=400)
    if code in visit.codes:
        return _to(visit)
    try:
        visit = visit.adding(code)
    except BadVisit as exc:
        return _show(request, who, web, visit, message=str(exc), status=400)
    if person is not None:
        line = next(ln for ln in _lines(web, visit, person, now) if ln.code == code)
        refusal = cart.denial(line, person)
        if refusal is not None:
            failed = _record(web, [refusal], visit, visit.badge)
            if failed:
                flash(request, failed)
    return _to(visit)


@router.post("/desk/remove")
def remove(
    request: Request,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    state: State,
    item: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        visit = Visit.parse(state)
    except BadVisit as exc:
        return _bad(request, who, web, exc)
    return _to(visit.removing(item))


@router.post("/desk/override")
def override(
    request: Request,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    state: State,
    item: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=MAX_REASON * 2)] = "",
) -> Response:
    """Lend despite a refusal about the person or a booking, for a reason (audited when the
    cart is confirmed)."""
    now = web.clock()
    try:
        visit = Visit.parse(state)
        person = _person(web, visit, now)
    except BadVisit as exc:
        return _bad(request, who, web, exc)
    line = next((ln for ln in _lines(web, visit, person, now) if ln.code == item), None)
    if person is None or line is None or not line.overridable:
        return _show(request, who, web, visit, message="That cannot be overridden", status=400)
    try:
        visit = visit.overriding(item, reason)
    except BadVisit as exc:
        return _show(request, who, web, visit, message=str(exc), status=400)
    return _to(visit)


@router.post("/desk/confirm")
def confirm(
    request: Request,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    state: State,
    plan: Annotated[str, Form(max_length=20_000)] = "",
    cond: Many = [],  # noqa: B006
) -> Response:
    """Record the cart, as a kiosk records a confirmed cart, then show the receipt. Refused
    if what the cart would do is not what the page showed (someone else lent an item since)."""
    now = web.clock()
    try:
        visit = Visit.parse(state)
        person = _person(web, visit, now)
        conditions = _conditions(cond)
    except BadVisit as exc:
        return _bad(request, who, web, exc)
    if _confirmed(web, visit):  # sent twice (a double click, a reload): done once already
        return RedirectResponse(f"/desk/receipt/{visit.id}", status_code=303)
    lines = _lines(web, visit, person, now)
    entries = cart.entries(lines, person, conditions, who.actor)
    if not entries:
        text = "Nothing here can be lent or taken back" if lines else "Scan an item first"
        return _show(request, who, web, visit, message=text, status=400)
    if plan != _plan(lines):
        flash(request, "Something changed since this page was shown: check the cart again")
        return _to(visit)
    notes: list[Note] = []  # committed with the events (hub.store.journal)
    for line in lines:
        if line.override and person is not None and line.reason is not None:
            detail = f"lent to {person.id} despite {line.reason.value}: {line.override}"
            notes.append(Note(who.actor, "desk.override", line.code, detail))
    lent = sum(1 for e in entries if e.type is EventType.CHECKOUT)
    back = sum(1 for e in entries if e.type is EventType.RETURN)
    whom = f" for {person.id}" if person is not None else ""
    notes.append(Note(who.actor, "desk.visit", visit.id, f"{lent} lent, {back} back{whom}"))
    failed = _record(web, entries, visit, visit.badge, notes)
    if failed:
        return _show(request, who, web, visit, message=failed, status=409)
    return RedirectResponse(f"/desk/receipt/{visit.id}", status_code=303)


@router.get("/desk/receipt/{visit_id}")
def receipt(
    request: Request, visit_id: str, who: Manager, web: Annotated[Web, Depends(web_of)]
) -> Response:
    """A printable receipt of a visit, read back from the ledger."""
    try:
        Visit.parse({"visit": [visit_id]})
    except BadVisit:
        return Response("no such receipt", status_code=404)
    events = lookup.visit_events(web.store, DeskSource(web.store).id, visit_id)
    done = [e for e in events if e.type in (EventType.CHECKOUT, EventType.RETURN)]
    if not done:
        return Response("no such receipt", status_code=404)
    people = lookup.names(web.store, (e.person for e in done if e.person))
    lent = [e for e in done if e.type == EventType.CHECKOUT]
    borrower = lent[0].person if lent else None
    return web.page(
        request,
        "desk_receipt.html",
        who,
        visit=visit_id,
        at=done[0].at,
        borrower=borrower,
        lent=lent,
        back=[e for e in done if e.type == EventType.RETURN],
        people=people,
    )


# helpers -----------------------------------------------------------------------------------


def _to(visit: Visit) -> Response:
    return RedirectResponse(visit.url, status_code=303)


def _confirmed(web: Web, visit: Visit) -> bool:
    """Whether this visit's cart was recorded already (refusals alone do not count)."""
    events = lookup.visit_events(web.store, DeskSource(web.store).id, visit.id)
    return any(e.type in (EventType.CHECKOUT, EventType.RETURN) for e in events)


def _person(web: Web, visit: Visit, now: datetime) -> Person | None:
    if visit.person is None:
        return None
    person = lookup.person_by_id(web.store, visit.person, now)
    if person is None:
        raise BadVisit(f"no active person {visit.person!r}")
    return person


def _lines(web: Web, visit: Visit, person: Person | None, now: datetime) -> list[Line]:
    held = {loan.code: loan.due for loan in lookup.loans_of(web.store, person.id)} if person else {}
    found = lookup.items(web.store, visit.codes, now)
    policy = lookup.policy(web.store, web.settings.lending)
    return cart.lines_for(person, held, visit.codes, found, visit.overrides, now, policy)


def _plan(lines: list[Line]) -> str:
    """What confirming does, as the page showed it."""
    return ";".join(f"{ln.code}={ln.action.value}:{ln.holder or ''}" for ln in lines)


def _conditions(given: list[str]) -> dict[str, ReturnCondition]:
    out: dict[str, ReturnCondition] = {}
    for value in given:
        code, _, condition = value.rpartition(":")
        try:
            out[code] = ReturnCondition(condition)
        except ValueError as exc:
            raise BadVisit("not a condition") from exc
    return out


def _record(
    web: Web,
    entries: list[cart.Entry],
    visit: Visit,
    badge: str | None,
    notes: Sequence[Note] = (),
) -> str | None:
    """Commit the entries through ingest, the audit ``notes`` with them; None when done, else
    what went wrong, in words."""
    try:
        DeskSource(web.store).record(entries, visit.id, badge, web.clock(), notes)
    except DeskRefused as exc:
        return f"The hub refused this: {exc}"
    except StoreError:
        return "The database is busy or unavailable: nothing was recorded, try again"
    return None


def _bad(request: Request, who: Principal, web: Web, exc: BadVisit) -> Response:
    return _show(
        request,
        who,
        web,
        None,
        message=f"This desk page was not valid ({exc}): start again",
        status=400,
    )


def _show(
    request: Request,
    who: Principal,
    web: Web,
    visit: Visit | None,
    *,
    message: str | None = None,
    choices: tuple[tuple[str, str], ...] = (),
    q: str = "",
    status: int = 200,
) -> Response:
    now = web.clock()
    try:
        person = _person(web, visit, now) if visit is not None else None
    except BadVisit as exc:  # disabled or removed since the visit began
        visit, person, message, status = None, None, f"{exc}: start again", 400
    loans = lookup.loans_of(web.store, person.id) if person is not None else []
    lines = _lines(web, visit, person, now) if visit is not None else []
    holders = lookup.names(web.store, (ln.holder for ln in lines if ln.holder))
    return web.page(
        request,
        "desk.html",
        who,
        status_code=status,
        visit=visit,
        state=visit.fields() if visit is not None else [],
        person=person,
        loans=loans,
        lines=lines,
        holders=holders,
        plan=_plan(lines),
        actionable=any(ln.action is not Action.REFUSED for ln in lines),
        conditions=CONDITIONS,
        choices=choices,
        q=q,
        message=message,
        now=now,
        blocked=person is not None and person.blocked(now),
        max_reason=MAX_REASON,
    )
