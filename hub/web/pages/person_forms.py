"""Adding and editing one person on the dashboard: name, email, groups, staff, a new badge."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from hub.errors import AlreadyExists
from hub.registry_csv import PersonRow
from hub.web.actions import ManagerForm, act
from hub.web.context import Web, web_of
from hub.web.forms import Field, as_typed, checked
from hub.web.security import Manager, Principal

router = APIRouter()
RESERVED = "new"  # /people/new is the form, so no person can have that id


def _form(
    request: Request,
    who: Principal,
    web: Web,
    values: dict[str, Any],
    *,
    person_id: str | None,
    problems: dict[str, str] | None = None,
) -> Response:
    return web.page(
        request,
        "person_form.html",
        who,
        status_code=400 if problems else 200,
        person_id=person_id,
        v=as_typed(values, _SHOWN),
        staff=values.get("staff") in (True, "yes"),
        problems=problems or {},
    )


_SHOWN = ("id", "name", "email", "groups", "badge")


def _save(
    request: Request,
    who: Principal,
    web: Web,
    typed: dict[str, Any],
    person_id: str | None,
) -> Response:
    fields = {**typed, "badges": typed["badge"], "staff": typed["staff"]}
    del fields["badge"]
    row, problems = checked(PersonRow, fields)
    if "badges" in problems:
        problems["badge"] = problems.pop("badges")
    if person_id is None and row is not None and row.id.lower() == RESERVED:
        problems["id"] = f"{RESERVED!r} is kept for the dashboard; choose another id"
    if row is None or problems:
        return _form(request, who, web, typed, person_id=person_id, problems=problems)

    def work() -> None:
        web.store.save_person(
            row.id,
            web.clock(),
            who.actor,
            new=person_id is None,
            name=row.name,
            email=row.email,
            groups=row.groups,
            staff=bool(row.staff),
            badges_to_add=row.badges,
        )

    def refused(exc: Exception) -> Response:
        field = "badge" if "badge" in str(exc) else "id"
        return _form(request, who, web, typed, person_id=person_id, problems={field: str(exc)})

    return act(
        request,
        work,
        then=f"/people/{row.id}",
        missing="person",
        refused=refused,
        refusals=(AlreadyExists,),
    )


@router.get("/people/new")
def new_person(request: Request, who: Manager, web: Annotated[Web, Depends(web_of)]) -> Response:
    return _form(request, who, web, {}, person_id=None)


def _typed(
    name: Field = "", email: Field = "", groups: Field = "", badge: Field = "", staff: Field = ""
) -> dict[str, str]:
    """The person form's fields as typed (the id is in the address, or a field of its own)."""
    return dict(name=name, email=email, groups=groups, badge=badge, staff=staff or "no")


Typed = Annotated[dict[str, str], Depends(_typed)]


@router.post("/people/new")
def add_person(
    request: Request,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    typed: Typed,
    id: Field = "",
) -> Response:
    """Register one person, with a badge if one is given (audited with it)."""
    return _save(request, who, web, {"id": id, **typed}, None)


@router.get("/people/{person_id}/edit")
def edit_person(
    request: Request, person_id: str, who: Manager, web: Annotated[Web, Depends(web_of)]
) -> Response:
    detail = web.store.person_detail(person_id, web.clock())
    if detail is None:
        return Response("no such person", status_code=404)
    p = detail.person
    values = {**asdict(p), "groups": (p.groups or "").replace(";", "; ")}
    return _form(request, who, web, values, person_id=person_id)


@router.post("/people/{person_id}/edit")
def save_person(
    request: Request,
    person_id: str,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    typed: Typed,
) -> Response:
    """Change a person's details; a badge typed here is added to theirs."""
    return _save(request, who, web, {"id": person_id, **typed}, person_id)
