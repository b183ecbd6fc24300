"""The JSON API for integrations and the dashboard's own live parts, under /api/v1.

Logged-in sessions and bearer tokens (``cagekeeper-hub token create``) both work; writes from a
session also need the X-CSRF-Token header. The live feed's stream is ``hub.web.live``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from hub.errors import NotFound
from hub.store.fleet import KioskClock
from hub.store.views import OutPage
from hub.web import badge_uids, live, paging, scope
from hub.web.context import Web, clock_notes, web_of
from hub.web.errors import (
    BAD_BODY,
    CONFLICT,
    FORBIDDEN,
    NOT_FOUND,
    UNAUTHORIZED,
    booking_refusals,
)
from hub.web.pages.overview import item_view
from hub.web.security import Manager, Viewer, check_csrf

router = APIRouter(tags=["cagekeeper"], responses={**UNAUTHORIZED, **FORBIDDEN})


@router.get(
    "/items-out",
    responses={
        200: {
            "description": "A page of loans, soonest due first.",
            "headers": {
                "Link": {
                    "description": 'The next and previous pages (RFC 8288: rel="next", '
                    'rel="prev"), only those that exist; follow ``next`` until it is absent.',
                    "schema": {"type": "string"},
                }
            },
        }
    },
)
def items_out(
    request: Request,
    response: Response,
    who: Viewer,
    web: Annotated[Web, Depends(web_of)],
    overdue: bool = False,
    limit: Annotated[
        int, Query(ge=1, le=paging.MAX_PAGE, description="loans per page")
    ] = paging.DEFAULT_PAGE,
    after: paging.After = None,
    before: paging.Before = None,
    offset: Annotated[
        int,
        Query(
            ge=0,
            le=paging.MAX_OFFSET,
            deprecated=True,
            description="skip this many loans (slow deep in the list; follow the Link header)",
        ),
    ] = 0,
) -> list[dict[str, Any]]:
    """What is out now, soonest due first, with whether it is overdue and how late, a page
    of ``limit`` at a time (``overdue=true``: only what is late). The ``Link`` header holds
    the URLs of the next and previous pages."""
    now = web.clock()
    due_before = now if overdue else None
    start, end = paging.parse(after), paging.parse(before)
    if offset and start is None and end is None:
        rows = web.store.items_out(
            due_before=due_before, limit=limit + 1, offset=offset, homes=who.cages
        )
        page = OutPage(rows[:limit], True, len(rows) > limit)
    else:
        page = web.store.out_page(
            limit, after=start, before=end, due_before=due_before, homes=who.cages
        )
    found = paging.links(request.url, page)
    if found:
        response.headers["Link"] = paging.link_header(found)
    return [item_view(web, i, now) for i in page.rows]


@router.get("/overview")
def overview(who: Viewer, web: Annotated[Web, Depends(web_of)]) -> dict[str, Any]:
    """What the overview page shows: counts, overdue and due-today loans (first 100 each)."""
    now = web.clock()
    end = web.end_of_day(now)
    counts = web.store.counts(now, end, homes=who.cages)
    return {
        "counts": counts.__dict__,
        "overdue": [
            item_view(web, i, now)
            for i in web.store.items_out(due_before=now, limit=100, homes=who.cages)
        ],
        "due_today": [
            item_view(web, i, now)
            for i in web.store.items_out(due_after=now, due_before=end, limit=100, homes=who.cages)
        ],
    }


@router.get("/kiosks")
def kiosks(who: Viewer, web: Annotated[Web, Depends(web_of)]) -> list[dict[str, Any]]:
    """Registered kiosks, what their retained status last said, and their clock as the hub
    last measured it (``clock.notes`` only while online, as on the dashboard)."""
    rows = scope.kept(who, web.store.kiosk_views(), lambda k: k.location)
    clocks = web.store.kiosk_clocks()
    notes = clock_notes(rows, clocks)
    return [
        {
            "id": k.id,
            "name": k.name,
            "location": k.location,
            "state": k.state,
            "updated_at": k.last_seen.isoformat() if k.last_seen else None,
            "version": k.version,
            "outbox": k.outbox,
            "profile": k.profile,
            "faults": list(k.faults),
            "clock": _clock_json(clocks.get(k.id), notes.get(k.id, [])),
        }
        for k in rows
    ]


def _clock_json(clock: KioskClock | None, notes: list[str]) -> dict[str, Any] | None:
    if clock is None:
        return None
    return {
        "offset_s": clock.offset_s,
        "synced": clock.synced,
        "measured_at": clock.measured_at.isoformat(),
        "skewed": clock.skewed,
        "notes": notes,
    }


@router.get("/assets")
def assets(
    who: Viewer,
    web: Annotated[Web, Depends(web_of)],
    q: Annotated[str, Query(max_length=100)] = "",
    category: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: paging.Offset = 0,
) -> dict[str, Any]:
    """Search assets by code, name or serial; ``total`` counts every match."""
    rows, total = web.store.search_assets(q, category, status, limit, offset, who.cages)
    return {"total": total, "assets": [_jsonable(asdict(r)) for r in rows]}


@router.get("/assets/{code}", responses=NOT_FOUND)
def asset(
    code: Annotated[str, Path(max_length=64, examples=["CAM-0001"])],
    who: Viewer,
    web: Annotated[Web, Depends(web_of)],
) -> dict[str, Any]:
    """One asset: details, holder, latest custody and lifecycle events, bookings, tickets."""
    visible = scope.asset_visible(web, who, code.upper())
    detail = web.store.asset_detail(code.upper()) if visible else None
    if detail is None:
        raise HTTPException(404, f"no asset {code.upper()}")
    return _jsonable_dict(asdict(detail))


@router.get("/people/{person_id}", responses=NOT_FOUND)
def person(
    person_id: Annotated[str, Path(max_length=64, examples=["ada"])],
    who: Viewer,
    web: Annotated[Web, Depends(web_of)],
) -> dict[str, Any]:
    """One person: loans, history, late returns and strikes this term, badges (a badge's
    ``uid`` whole for managers; for viewers only its last four hex digits, as ``****B2C3``)."""
    detail = web.store.person_detail(
        person_id, web.clock() - web.store.strikes.term, web.store.strikes
    )
    if detail is None:
        raise HTTPException(404, f"no person {person_id}")
    return _jsonable_dict(asdict(badge_uids.person_for(who, detail)))


@router.get("/alerts")
def alerts(
    who: Viewer,
    web: Annotated[Web, Depends(web_of)],
    open_only: bool = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Overdue alerts, newest first (open ones only unless ``open_only=false``)."""
    found = web.store.recent_alerts(limit, open_only=open_only, homes=who.cages)
    return [_jsonable(a.__dict__) for a in found]


def _utc_time(moment: datetime) -> datetime:
    """A time with its UTC offset, as a UTC date can hold it (not 9999-12-31T23:00-01:00)."""
    if moment.tzinfo is None:
        raise ValueError("times need a UTC offset, e.g. 2026-03-02T09:00:00Z")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is outside the years 1 to 9999 in UTC") from None


UtcTime = Annotated[datetime, AfterValidator(_utc_time)]


class BookingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "asset": "CAM-0001",
                    "person": "ada",
                    "starts": "2026-03-09T09:00:00Z",
                    "ends": "2026-03-09T17:00:00Z",
                }
            ]
        },
    )
    asset: str = Field(min_length=1, max_length=64)
    person: str = Field(min_length=1, max_length=64)
    starts: UtcTime
    ends: UtcTime


@router.get("/bookings")
def bookings(
    who: Viewer,
    web: Annotated[Web, Depends(web_of)],
    days: Annotated[int, Query(ge=1, le=365)] = 14,
) -> list[dict[str, Any]]:
    """Live bookings from now for ``days`` days."""
    now = web.clock()
    rows = web.store.bookings_between(now, now + timedelta(days=days))
    return [_jsonable(asdict(b)) for b in scope.of_assets(web, who, rows, lambda b: b.asset)]


@router.post("/bookings", status_code=201, responses={**BAD_BODY, **NOT_FOUND, **CONFLICT})
def booking_create(
    body: BookingIn,
    request: Request,
    who: Manager,
    web: Annotated[Web, Depends(web_of)],
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Reserve an item; 409 with the reasons (times in the cage's zone) when the window
    overlaps another booking, the item is on loan past its start (or overdue), or the person
    lacks the training its category needs; 422 when it does not end after it starts."""
    check_csrf(request, x_csrf_token, who)
    code = body.asset.upper()
    if not scope.asset_visible(web, who, code):
        raise HTTPException(404, f"no asset {code!r}")
    with booking_refusals():
        number = web.store.add_booking(
            code, body.person, body.starts, body.ends, web.clock(), web.tz, actor=who.actor
        )
    return {"id": number}


@router.delete("/bookings/{booking_id}", status_code=204, responses=NOT_FOUND)
def booking_cancel(
    booking_id: paging.RowId,
    request: Request,
    who: Manager,
    web: Annotated[Web, Depends(web_of)],
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> Response:
    check_csrf(request, x_csrf_token, who)
    if not scope.booking_visible(web, who, booking_id):
        raise HTTPException(404, f"no booking {booking_id}")
    try:
        web.store.cancel_booking(booking_id, web.clock(), actor=who.actor)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return Response(status_code=204)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if type(value).__name__ == "Decimal":
        return str(value)
    return value


def _jsonable_dict(value: dict[str, Any]) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in value.items()}


router.include_router(live.router)
