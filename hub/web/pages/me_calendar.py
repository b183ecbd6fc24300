"""A borrower's calendar feed (.ics): the one portal address that needs no sign-in, since
calendar apps cannot sign in. The secret in the address is the key: an unknown, replaced or
stopped token, or one of a disabled user, gets the same 404 as a wrong address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from hub.portal.calendar import feed
from hub.web.context import Web, web_of

router = APIRouter()


@router.get("/feed/{token}.ics", name="calendar_feed")
def calendar_feed(
    token: Annotated[str, Path(max_length=100)], web: Annotated[Web, Depends(web_of)]
) -> Response:
    store, now = web.store, web.clock()
    username = store.feed_owner(token)
    user = store.get_user(username) if username is not None else None
    if user is None or user.person is None:
        return Response("no such feed", status_code=404, media_type="text/plain")
    names = store.person_names([user.person])
    body = feed(
        web.settings.site_name,
        names.get(user.person, user.person),
        store.my_loans(user.person, now),
        store.my_bookings(user.person, now),
        now,
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="cagekeeper.ics"'},
    )
