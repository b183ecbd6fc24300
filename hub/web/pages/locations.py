"""The managed list of locations (cages): add, rename everywhere, remove when unused.

Managers limited to some cages may read the list but not change it: a rename or removal
reaches other cages' assets, kiosks and users.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from hub.errors import AlreadyExists, NotFound
from hub.store.places import InUse
from hub.web.context import Web, flash, take_flash, web_of
from hub.web.security import Manager, Principal, check_csrf

router = APIRouter()
Name = Annotated[str, Form(max_length=1000)]


def _page(
    request: Request, who: Principal, web: Web, error: str | None = None, typed: str = ""
) -> Response:
    return web.page(
        request,
        "locations.html",
        who,
        status_code=400 if error else 200,
        places=web.store.places(),
        kiosks=web.store.kiosk_views(),
        can_edit=who.cages is None,
        error=error,
        done=take_flash(request),
        typed=typed,
    )


def _refused(who: Principal) -> Response | None:
    if who.cages is not None:
        return Response("a manager limited to some cages cannot change locations", 403)
    return None


@router.get("/locations")
def locations(request: Request, who: Manager, web: Annotated[Web, Depends(web_of)]) -> Response:
    return _page(request, who, web)


@router.post("/locations")
def add(
    request: Request,
    who: Manager,
    web: Annotated[Web, Depends(web_of)],
    name: Name = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf, who)
    if (refused := _refused(who)) is not None:
        return refused
    try:
        added = web.store.add_location(name, web.clock(), who.actor)
    except (ValueError, AlreadyExists) as exc:
        return _page(request, who, web, f"Not added: {exc}.", typed=name[:100])
    flash(request, f"{added} added.")
    return RedirectResponse("/locations", status_code=303)


@router.post("/locations/rename")
def rename(
    request: Request,
    who: Manager,
    web: Annotated[Web, Depends(web_of)],
    name: Name = "",
    new: Name = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf, who)
    if (refused := _refused(who)) is not None:
        return refused
    try:
        renamed = web.store.rename_location(name, new, web.clock(), who.actor)
    except NotFound:
        return Response("no such location", status_code=404)
    except (ValueError, AlreadyExists) as exc:
        return _page(request, who, web, f"{name} not renamed: {exc}.")
    flash(request, f"{name} is now {renamed}.")
    return RedirectResponse("/locations", status_code=303)


@router.post("/locations/remove")
def remove(
    request: Request,
    who: Manager,
    web: Annotated[Web, Depends(web_of)],
    name: Name = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf, who)
    if (refused := _refused(who)) is not None:
        return refused
    try:
        web.store.remove_location(name, web.clock(), who.actor)
    except NotFound:
        return Response("no such location", status_code=404)
    except InUse as exc:
        return _page(request, who, web, f"Not removed: {exc}.")
    flash(request, f"{name} removed.")
    return RedirectResponse("/locations", status_code=303)


@router.post("/locations/kiosk")
def place_kiosk(
    request: Request,
    who: Manager,
    web: Annotated[Web, Depends(web_of)],
    kiosk: Name = "",
    location: Name = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Which cage a kiosk stands in, picked from the list."""
    check_csrf(request, csrf, who)
    if (refused := _refused(who)) is not None:
        return refused
    try:
        web.store.place_kiosk(kiosk, location or None, web.clock(), who.actor)
    except NotFound as exc:
        return _page(request, who, web, f"Kiosk not moved: {exc}.")
    flash(request, f"Kiosk {kiosk} is in {location or 'no cage'}.")
    return RedirectResponse("/locations", status_code=303)
