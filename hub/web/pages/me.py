"""The borrower portal's own pages: what I hold and when it is due, my bookings, strikes and
blocks, my history; renewing a loan; my calendar feed's address.

Every route takes the person from the signed-in session (``Borrower``), never from the
request, so nobody reaches another person's loans by changing an address or a form. Every
action is audited under the signed-in user's name.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response

from hub.desk import lookup
from hub.desk.source import DeskRefused
from hub.errors import StoreError
from hub.portal.loans import units
from hub.portal.renewing import renew_loan
from hub.web.actions import BorrowerForm, act
from hub.web.context import Web, take_flash, web_of
from hub.web.security import Borrower, Principal

router = APIRouter()
log = logging.getLogger(__name__)

# the portal's own menu; reservations add their page here
PORTAL_NAV: list[tuple[str, str]] = [
    ("/me", "My loans"),
    ("/me/browse", "Browse"),
    ("/me/reserve", "Reserve"),
]


def person_of(who: Principal) -> str:
    """The signed-in borrower's person (Borrower guarantees one)."""
    assert who.person is not None
    return who.person


def portal_page(
    request: Request, web: Web, who: Principal, template: str, status: int = 200, **context: Any
) -> Response:
    """A portal page in the dashboard's frame with the portal's menu."""
    return web.page(request, template, who, status_code=status, nav=PORTAL_NAV, **context)


@router.get("/me")
def me(request: Request, who: Borrower, web: Annotated[Web, Depends(web_of)]) -> Response:
    now = web.clock()
    store, person_id = web.store, person_of(who)
    person = lookup.person_by_id(store, person_id, now)
    standing = store.my_standing(person_id, now, store.strikes)
    if person is None or standing is None:
        return portal_page(request, web, who, "me.html", 404, person=None, now=now)
    policy = lookup.policy(store, web.settings.lending)
    return portal_page(
        request,
        web,
        who,
        "me.html",
        person=person,
        now=now,
        units=units(store.my_loans(person_id, now), person, now, policy),
        bookings=store.my_bookings(person_id, now),
        standing=standing,
        history=store.my_history(person_id),
        feed_since=store.feed_since(who.username),
        message=take_flash(request),
        max_renewals=policy.max_renewals,
    )


@router.post("/me/renew")
def renew(
    request: Request,
    who: BorrowerForm,
    web: Annotated[Web, Depends(web_of)],
    code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Renew one of my loans (a kit whole) by the kiosks' rule; the answer comes back as the
    message on my page."""
    return act(request, lambda: _renewed(web, who, code), then="/me")


def _renewed(web: Web, who: Principal, code: str) -> str:
    """What became of the renewal, in the borrower's words."""
    now = web.clock()
    try:
        renewed = renew_loan(
            web.store, person_of(who), code.strip(), now, web.settings.lending, who.actor
        )
    except (DeskRefused, StoreError) as exc:
        with suppress(StoreError):  # the database away: the log has it, the page says so
            web.store.audit(now, who.actor, "portal.renew.failed", code[:64], str(exc))
        log.warning("portal renewal of %s for %s failed: %s", code[:64], who.actor, exc)
        return "Not renewed: the hub could not record it. Try again, or renew at the cage."
    if renewed is None:
        web.store.audit(now, who.actor, "portal.renew.refused", code[:64], "not on their loan")
        return "That is not on your loan."
    if renewed.due is None:
        return renewed.refusal or "Not renewed."
    return f"Renewed: {renewed.name}, now due {web.local(renewed.due)}."


@router.post("/me/feed")
def feed_new(
    request: Request,
    who: BorrowerForm,
    web: Annotated[Web, Depends(web_of)],
) -> Response:
    """A new secret address for my calendar feed, shown once; any earlier one stops working."""
    token = web.store.new_feed_token(who.username, web.clock())
    path = request.app.url_path_for("calendar_feed", token=token)
    base = web.settings.url_base
    url = base.rstrip("/") + path if base else str(request.url_for("calendar_feed", token=token))
    return portal_page(request, web, who, "me_feed.html", url=url)


@router.post("/me/feed/stop")
def feed_stop(
    request: Request,
    who: BorrowerForm,
    web: Annotated[Web, Depends(web_of)],
) -> Response:
    def work() -> str | None:
        if web.store.end_feed_token(who.username, web.clock()):
            return "Your calendar feed is stopped: its address no longer works."
        return None

    return act(request, work, then="/me")


@router.get("/api/v1/me/loans")
def my_loans_json(who: Borrower, web: Annotated[Web, Depends(web_of)]) -> list[dict[str, Any]]:
    """What I hold, for an app: each loan with its kit and due time (UTC)."""
    now = web.clock()
    return [
        {
            "asset": loan.code,
            "name": loan.held.name,
            "kit": loan.held.kit,
            "due": loan.held.due.isoformat(),
            "overdue": loan.held.due <= now,
            "renewals": loan.held.renewals,
        }
        for loan in web.store.my_loans(person_of(who), now)
    ]
