"""Stocktakes, called counts on the pages as on the kiosk's button: start a count for a
location, watch scans from the kiosk arrive, see what is missing and what is away from its home,
close it. The URLs keep the name /stocktakes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from hub.errors import NotFound
from hub.web.actions import ManagerForm, act
from hub.web.context import Format, Web, csv_response, web_of
from hub.web.paging import RowId
from hub.web.security import Viewer

router = APIRouter()


@router.get("/stocktakes")
def stocktakes(request: Request, who: Viewer, web: Annotated[Web, Depends(web_of)]) -> Response:
    return web.page(
        request,
        "stocktakes.html",
        who,
        takes=web.store.stocktakes(),
        locations=web.store.locations(),
    )


@router.post("/stocktakes")
def stocktake_start(
    request: Request,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    location: Annotated[str, Form(min_length=1, max_length=100)],
) -> Response:
    """Staff then choose Count at a kiosk there and scan every item on the shelves."""
    number = web.store.start_stocktake(location, who.actor, web.clock())
    return RedirectResponse(f"/stocktakes/{number}", status_code=303)


@router.get("/stocktakes/{number}")
def stocktake(
    request: Request,
    number: RowId,
    who: Viewer,
    web: Annotated[Web, Depends(web_of)],
    format: Format = "html",
) -> Response:
    try:
        report = web.store.stocktake_report(number)
    except NotFound:
        return Response("no such stocktake", status_code=404)
    if format == "csv":
        rows = [("seen", r) for r in report.seen] + [("missing", r) for r in report.missing]
        away = {r.code for r in report.away}
        return csv_response(
            f"stocktake-{number}",
            ["result", "code", "name", "category", "status", "last_seen", "home", "away_from_home"],
            (
                [
                    what,
                    r.code,
                    r.name,
                    r.category,
                    r.status,
                    r.last_seen,
                    r.home,
                    "yes" if what == "seen" and r.code in away else "no",
                ]
                for what, r in rows
            ),
        )
    return web.page(request, "stocktake.html", who, report=report)


@router.post("/stocktakes/{number}/close")
def stocktake_close(
    request: Request,
    number: RowId,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
) -> Response:
    def work() -> None:
        web.store.close_stocktake(number, who.actor, web.clock())

    return act(
        request, work, then=f"/stocktakes/{number}", missing="open stocktake with that number"
    )
