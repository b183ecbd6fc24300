"""The portal's "Browse": the categories the signed-in borrower may borrow from, each item's
coming days (free, out until, booked) in the cage's time zone. Who holds or booked an item is
never shown; the borrower's own loans and bookings are marked as theirs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from hub.desk import lookup
from hub.portal.availability import DAYS, day_starts, outlook
from hub.web.context import Web, web_of
from hub.web.pages.me import person_of, portal_page
from hub.web.security import Borrower
from rules.lending import item_rules

router = APIRouter()


@router.get("/me/browse")
def browse(request: Request, who: Borrower, web: Annotated[Web, Depends(web_of)]) -> Response:
    now = web.clock()
    store, person_id = web.store, person_of(who)
    person = lookup.person_by_id(store, person_id, now)
    if person is None:
        return portal_page(request, web, who, "me_browse.html", 404, person=None)
    policy = lookup.policy(store, web.settings.lending)
    allowed: list[str] = []
    closed: list[tuple[str, str]] = []
    for category in store.lendable_categories():
        why = item_rules(category, person, now, policy)  # trainings and access groups
        if why is None:
            allowed.append(category)
        else:
            closed.append((category, why[1]))
    edges = day_starts(now, web.tz)
    shelf = store.shelf(allowed, person_id, now, edges[-1])
    items = [outlook(item, now, web.tz, web.local) for item in shelf]
    by_category: dict[str, list[object]] = {c: [] for c in allowed}
    for item in items:
        by_category[item.category].append(item)
    days = [
        {"dow": f"{d:%a}", "day": d.day, "title": f"{d:%A} {d.day} {d:%B}"} for d in edges[:DAYS]
    ]
    return portal_page(
        request,
        web,
        who,
        "me_browse.html",
        person=person,
        categories=by_category,
        closed=closed,
        days=days,
    )
