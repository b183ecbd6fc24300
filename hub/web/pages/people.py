"""People: who holds what, who is late, strikes and blocks, badges, imports."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response

from hub.sheets import PEOPLE, export_people
from hub.web import badge_uids, imports
from hub.web.actions import ManagerForm, act
from hub.web.context import Format, Web, csv_stream, registry_pieces, web_of
from hub.web.paging import PageNumber
from hub.web.security import Manager, Principal, Viewer

router = APIRouter()
PAGE = 200


@router.get("/people")
def people(
    request: Request,
    who: Viewer,
    web: Annotated[Web, Depends(web_of)],
    q: Annotated[str, Query(max_length=100)] = "",
    page: PageNumber = 0,
    format: Format = "html",
) -> Response:
    if format == "csv":  # badge UIDs whole for managers only
        chunks = badge_uids.export_rows_for(who, web.store.person_export())
        return csv_stream("people", registry_pieces(export_people, chunks))
    return _listing(request, who, web, q, page)


def _listing(
    request: Request,
    who: Principal,
    web: Web,
    q: str = "",
    page: int = 0,
) -> Response:
    now = web.clock()
    rows, total = web.store.people_list(q, now, limit=PAGE, offset=page * PAGE)
    return web.page(
        request,
        "people.html",
        who,
        rows=rows,
        total=total,
        q=q,
        page=page,
        pages=(total + PAGE - 1) // PAGE,
        now=now,
        imported=imports.done_message(request),
    )


@router.post("/people/import")
async def people_import(
    request: Request, who: Manager, web: Annotated[Web, Depends(web_of)]
) -> Response:
    """People and their badges from a spreadsheet: previewed, or imported whole."""
    return await imports.handle(request, who, web, PEOPLE)


@router.get("/people/{person_id}")
def person_page(
    request: Request, person_id: str, who: Viewer, web: Annotated[Web, Depends(web_of)]
) -> Response:
    now = web.clock()
    detail = web.store.person_detail(person_id, now - web.store.strikes.term, web.store.strikes)
    if detail is None:
        return web.page(
            request, "person.html", who, status_code=404, d=None, person_id=person_id, now=now
        )
    detail = badge_uids.person_for(who, detail)
    return web.page(request, "person.html", who, d=detail, person_id=person_id, now=now)


@router.post("/people/{person_id}/block")
def person_block(
    request: Request,
    person_id: str,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    reason: Annotated[str, Form(min_length=1, max_length=200)],
    days: Annotated[int | None, Form(ge=1, le=3650)] = None,
) -> Response:
    """Stop someone borrowing; kiosks learn it with the next replica and tell them why."""
    now = web.clock()
    until = now + timedelta(days=days) if days else None

    def work() -> None:
        web.store.block_person(person_id, until, reason, now, who.actor)

    return act(request, work, then=f"/people/{person_id}", missing="person")


@router.post("/people/{person_id}/unblock")
def person_unblock(
    request: Request, person_id: str, who: ManagerForm, web: Annotated[Web, Depends(web_of)]
) -> Response:
    def work() -> None:
        web.store.unblock_person(person_id, web.clock(), who.actor)

    return act(request, work, then=f"/people/{person_id}", missing="person")
