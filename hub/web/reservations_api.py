"""A borrower's own reservations over the JSON API (``/api/v1/me/reservations``): the same
path and checks as the /me/reserve page, for a signed-in person's session (not API tokens,
which are staff's)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.errors import NotFound, RateLimited
from hub.store.booking_writes import Ask
from hub.web.api import UtcTime
from hub.web.context import Web, web_of
from hub.web.errors import (
    BAD_BODY,
    CONFLICT,
    FORBIDDEN,
    NOT_FOUND,
    UNAUTHORIZED,
    Problem,
    Responses,
    booking_refusals,
)
from hub.web.pages.reserve import reservation_json, reserve, retry_seconds
from hub.web.paging import RowId
from hub.web.security import Borrower, check_csrf

router = APIRouter(tags=["cagekeeper"], responses={**UNAUTHORIZED, **FORBIDDEN})
TOO_MANY: Responses = {429: {"description": "Too many reservations made lately.", "model": Problem}}


class ReservationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "category": "camera",
                    "starts": "2026-03-09T09:00:00Z",
                    "ends": "2026-03-09T17:00:00Z",
                }
            ]
        },
    )
    asset: str | None = Field(default=None, min_length=1, max_length=64)
    category: str | None = Field(default=None, min_length=1, max_length=64)
    starts: UtcTime
    ends: UtcTime

    @model_validator(mode="after")
    def _one_target(self) -> ReservationIn:
        if (self.asset is None) == (self.category is None):
            raise ValueError("give asset (an item or a kit) or category, not both")
        return self


@router.get("/me/reservations")
def my_reservations(who: Borrower, web: Annotated[Web, Depends(web_of)]) -> list[dict[str, Any]]:
    """The signed-in borrower's live reservations (a kit stands for its pieces)."""
    assert who.person is not None
    return [reservation_json(r) for r in web.store.reservations_of(who.person, web.clock())]


@router.post(
    "/me/reservations",
    status_code=201,
    responses={**BAD_BODY, **NOT_FOUND, **CONFLICT, **TOO_MANY},
)
def my_reservation_create(
    body: ReservationIn,
    request: Request,
    who: Borrower,
    web: Annotated[Web, Depends(web_of)],
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> Any:
    """Reserve an item, a kit or any free item of a category for the signed-in borrower; 409
    with every reason (times in the cage's zone) when refused, 429 with Retry-After when they
    made too many lately."""
    check_csrf(request, x_csrf_token, who)
    assert who.person is not None
    asset = body.asset.upper() if body.asset else None
    ask = Ask(who.person, body.starts, body.ends, asset=asset, category=body.category)
    try:
        with booking_refusals():
            made = reserve(web, who, ask)
    except RateLimited as exc:
        return JSONResponse(
            {"detail": str(exc)}, status_code=429, headers={"Retry-After": retry_seconds(exc)}
        )
    return {"id": made.bookings[0], "asset": made.asset, "bookings": list(made.bookings)}


@router.delete("/me/reservations/{booking_id}", status_code=204, responses=NOT_FOUND)
def my_reservation_cancel(
    booking_id: RowId,
    request: Request,
    who: Borrower,
    web: Annotated[Web, Depends(web_of)],
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> Response:
    """Cancel one of the signed-in borrower's own live reservations (404 for anyone else's)."""
    check_csrf(request, x_csrf_token, who)
    try:
        web.store.cancel_booking(booking_id, web.clock(), actor=who.actor, person=who.person)
    except NotFound as exc:
        raise HTTPException(404, f"no reservation {booking_id} of yours") from exc
    return Response(status_code=204)
