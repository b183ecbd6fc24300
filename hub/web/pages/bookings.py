"""Bookings: a two-week timeline per item, and booking or cancelling with conflicts explained."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response

from hub.domain.bookings import from_local
from hub.errors import BookingConflict, NotFound
from hub.store.bookings import BookingListed
from hub.web import scope
from hub.web.actions import ManagerForm, act, done
from hub.web.context import Format, Web, csv_response, web_of
from hub.web.paging import RowId
from hub.web.security import Viewer

router = APIRouter()
DAYS = 14


def _timeline(web: Web, start: datetime, rows: list[BookingListed]) -> list[dict[str, Any]]:
    """Rows of bars: each booking placed by percent of the window, grouped by asset."""
    span = timedelta(days=DAYS).total_seconds()
    lanes: dict[str, dict[str, Any]] = {}
    for b in rows:
        lane = lanes.setdefault(b.asset, {"asset": b.asset, "name": b.asset_name, "bars": []})
        left = max(0.0, (b.starts - start).total_seconds() / span * 100)
        right = min(100.0, (b.ends - start).total_seconds() / span * 100)
        lane["bars"].append(
            {
                **asdict(b),
                "left": round(left, 2),
                "width": round(max(right - left, 0.8), 2),
                "label": f"{b.person_name}: {web.local(b.starts)} to {web.local(b.ends)}",
            }
        )
    return list(lanes.values())


def _day(at: datetime, web: Web) -> dict[str, Any]:
    """A column heading of the timeline: weekday over day of month, short enough for a
    fourteenth of a phone's width; the whole date in its title."""
    here = at.astimezone(web.tz)
    return {
        "dow": f"{here:%a}"[:2],
        "day": here.day,
        "title": f"{here:%A} {here.day} {here:%B}",
        "weekend": here.weekday() >= 5,
    }


def _page(
    request: Request,
    who: Any,
    web: Web,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    now = web.clock()
    start = web.end_of_day(now) - timedelta(days=1)
    rows = web.store.bookings_between(start, start + timedelta(days=DAYS))
    rows = scope.of_assets(web, who, rows, lambda b: b.asset)
    days = [_day(start + timedelta(days=d), web) for d in range(DAYS)]
    return web.page(
        request,
        "bookings.html",
        who,
        status_code=status_code,
        rows=rows,
        lanes=_timeline(web, start, rows),
        days=days,
        first_day=f"{start.astimezone(web.tz):%d %b}",
        last_day=f"{(start + timedelta(days=DAYS - 1)).astimezone(web.tz):%d %b}",
        error=error,
        form=form or {},
        created=request.query_params.get("created"),
    )


@router.get("/bookings")
def bookings(
    request: Request,
    who: Viewer,
    web: Annotated[Web, Depends(web_of)],
    format: Format = "html",
) -> Response:
    if format == "csv":
        now = web.clock()
        rows = web.store.bookings_between(
            now - timedelta(days=365), now + timedelta(days=3650), ended=True
        )
        rows = scope.of_assets(web, who, rows, lambda b: b.asset)
        cols = ["id", "asset", "asset_name", "person", "person_name", "starts", "ends", "state"]
        return csv_response("bookings", cols, ([getattr(r, c) for c in cols] for r in rows))
    return _page(request, who, web)


@router.post("/bookings")
def booking_create(
    request: Request,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    asset: Annotated[str, Form(min_length=1, max_length=64)],
    person: Annotated[str, Form(min_length=1, max_length=64)],
    starts: Annotated[str, Form()],
    ends: Annotated[str, Form()],
) -> Response:
    """Times are in the cage's time zone, as a manager types them (datetime-local)."""
    form = {"asset": asset, "person": person, "starts": starts, "ends": ends}
    if not scope.asset_visible(web, who, asset.upper()):
        return _page(request, who, web, f"Not booked: no asset {asset.upper()!r}", 404, form)
    try:
        start_at = from_local(datetime.fromisoformat(starts), web.tz)
        end_at = from_local(datetime.fromisoformat(ends), web.tz)
        number = web.store.add_booking(
            asset.upper(), person, start_at, end_at, web.clock(), web.tz, actor=who.actor
        )
    except BookingConflict as exc:
        return _page(request, who, web, f"Not booked: {exc}", 409, form)
    except (NotFound, ValueError) as exc:
        return _page(request, who, web, f"Not booked: {exc}", 400, form)
    return done(request, f"/bookings?created={number}")


@router.post("/bookings/{booking_id}/cancel")
def booking_cancel(
    request: Request,
    booking_id: RowId,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
) -> Response:
    def work() -> None:
        if not scope.booking_visible(web, who, booking_id):
            raise NotFound(f"booking {booking_id}")
        web.store.cancel_booking(booking_id, web.clock(), actor=who.actor)

    return act(request, work, then="/bookings", missing="booking")
