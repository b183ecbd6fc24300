"""A borrower's own reservations (/me/reserve): pick a category, an item or a kit and a window
in the cage's time, see why it is refused, and cancel one's own. Made and cancelled through the
same store path as managers' bookings (hub.store.booking_writes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response

from hub.domain.bookings import from_local
from hub.domain.reservations import Policy
from hub.errors import BookingConflict, NotFound, RateLimited
from hub.store.booking_writes import Ask, ReservationListed, Reserved
from hub.web.actions import BorrowerForm, act, done
from hub.web.context import Web, take_flash, web_of
from hub.web.pages.me import PORTAL_NAV
from hub.web.paging import RowId
from hub.web.security import Borrower, Principal
from rules.policy import WEEKDAYS, opening_hours

router = APIRouter()


def policy_of(web: Web) -> Policy:
    lending = web.settings.lending
    return Policy(
        web.settings.reservations,
        opening_hours(lending.opening),
        lending.max_items,
        lending.block_when_overdue,
    )


def reserve(web: Web, who: Principal, ask: Ask) -> Reserved:
    """The borrower's reservation as themselves, audited under their account."""
    assert who.person is not None
    return web.store.reserve(ask, web.clock(), web.tz, policy_of(web), actor=who.actor)


def retry_seconds(exc: RateLimited) -> str:
    return str(max(1, int(exc.retry_after.total_seconds())))


def _opening_text(web: Web) -> str:
    spec = web.settings.lending.opening
    if spec is None or not spec.weekly:
        return "The cage is always open."
    days = ", ".join(
        f"{day.capitalize()} {span[0]} to {span[1]}"
        for day in WEEKDAYS
        if (span := spec.weekly.get(day)) is not None  # type: ignore[call-overload]
    )
    return f"The cage is open {days}: a reservation starts and ends in those hours."


def _page(
    request: Request,
    who: Principal,
    web: Web,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    assert who.person is not None
    categories, items = web.store.reservable()
    response = web.page(
        request,
        "reserve.html",
        who,
        status_code=status_code,
        nav=PORTAL_NAV,
        categories=categories,
        items=items,
        mine=web.store.reservations_of(who.person, web.clock()),
        opening=_opening_text(web),
        error=error,
        done=take_flash(request),
        form=form or {},
    )
    response.headers.update(headers or {})
    return response


@router.get("/me/reserve")
def reserve_page(request: Request, who: Borrower, web: Annotated[Web, Depends(web_of)]) -> Response:
    return _page(request, who, web)


def _ask(person: str, target: str, starts: datetime, ends: datetime) -> Ask:
    kind, _, value = target.partition(":")
    if kind == "category" and value:
        return Ask(person, starts, ends, category=value)
    if kind == "item" and value:
        return Ask(person, starts, ends, asset=value.upper())
    raise ValueError("choose a category, an item or a kit")


@router.post("/me/reserve")
def reserve_create(
    request: Request,
    who: BorrowerForm,
    web: Annotated[Web, Depends(web_of)],
    target: Annotated[str, Form(max_length=80)] = "",
    starts: Annotated[str, Form(max_length=40)] = "",
    ends: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Times are in the cage's time zone, as typed (datetime-local)."""
    assert who.person is not None
    form = {"target": target, "starts": starts, "ends": ends}
    try:
        if not starts or not ends:
            raise ValueError("give the window's start and end")
        start_at = from_local(datetime.fromisoformat(starts), web.tz)
        end_at = from_local(datetime.fromisoformat(ends), web.tz)
        made = reserve(web, who, _ask(who.person, target, start_at, end_at))
    except RateLimited as exc:
        message = f"Not reserved: {exc}"
        headers = {"Retry-After": retry_seconds(exc)}
        return _page(request, who, web, message, 429, form, headers)
    except BookingConflict as exc:
        return _page(request, who, web, f"Not reserved: {exc}", 409, form)
    except (NotFound, ValueError, OverflowError) as exc:
        return _page(request, who, web, f"Not reserved: {exc}", 400, form)
    return done(
        request,
        "/me/reserve",
        f"Reserved {made.asset} from {web.local(start_at)} to {web.local(end_at)} "
        f"(reservation {made.bookings[0]}).",
    )


@router.post("/me/reserve/{booking_id}/cancel")
def reserve_cancel(
    request: Request,
    booking_id: RowId,
    who: BorrowerForm,
    web: Annotated[Web, Depends(web_of)],
) -> Response:
    def work() -> str:
        web.store.cancel_booking(booking_id, web.clock(), actor=who.actor, person=who.person)
        return f"Reservation {booking_id} cancelled."

    def refused(_exc: Exception) -> Response:
        return _page(request, who, web, "No such reservation of yours to cancel.", 404)

    return act(request, work, then="/me/reserve", refused=refused, refusals=(NotFound,))


def reservation_json(row: ReservationListed) -> dict[str, Any]:
    return {
        "id": row.id,
        "asset": row.asset,
        "asset_name": row.asset_name,
        "category": row.category,
        "starts": row.starts.isoformat(),
        "ends": row.ends.isoformat(),
        "picked_up": row.picked_up,
    }
