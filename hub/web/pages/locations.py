"""The managed list of locations (cages): add, rename everywhere, remove when unused.

Managers limited to some cages may read the list but not change it: a rename or removal
reaches other cages' assets, kiosks and users.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from hub.errors import AlreadyExists, NotFound
from hub.store.places import InUse
from hub.web import scope
from hub.web.actions import ManagerForm, Refusals, act
from hub.web.context import Web, take_flash, web_of
from hub.web.security import Manager, Principal

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


@router.get("/locations")
def locations(request: Request, who: Manager, web: Annotated[Web, Depends(web_of)]) -> Response:
    return _page(request, who, web)


def _change(
    request: Request,
    who: Principal,
    web: Web,
    work: Callable[[], str],
    failed: Callable[[Exception], str],
    refusals: Refusals = (ValueError, AlreadyExists),
) -> Response:
    """A change to the list, back on this page: its message, or ``failed`` of the problem."""
    return scope.for_every_cage(who, "change locations") or act(
        request,
        work,
        then="/locations",
        missing="location",
        refused=lambda exc: _page(request, who, web, failed(exc)),
        refusals=refusals,
    )


@router.post("/locations")
def add(
    request: Request, who: ManagerForm, web: Annotated[Web, Depends(web_of)], name: Name = ""
) -> Response:
    def work() -> str:
        return f"{web.store.add_location(name, web.clock(), who.actor)} added."

    return scope.for_every_cage(who, "change locations") or act(
        request,
        work,
        then="/locations",
        refused=lambda exc: _page(request, who, web, f"Not added: {exc}.", typed=name[:100]),
    )


@router.post("/locations/rename")
def rename(
    request: Request,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    name: Name = "",
    new: Name = "",
) -> Response:
    def work() -> str:
        return f"{name} is now {web.store.rename_location(name, new, web.clock(), who.actor)}."

    return _change(request, who, web, work, lambda exc: f"{name} not renamed: {exc}.")


@router.post("/locations/remove")
def remove(
    request: Request, who: ManagerForm, web: Annotated[Web, Depends(web_of)], name: Name = ""
) -> Response:
    def work() -> str:
        web.store.remove_location(name, web.clock(), who.actor)
        return f"{name} removed."

    return _change(request, who, web, work, lambda exc: f"Not removed: {exc}.", (InUse,))


@router.post("/locations/kiosk")
def place_kiosk(
    request: Request,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    kiosk: Name = "",
    location: Name = "",
) -> Response:
    """Which cage a kiosk stands in, picked from the list."""

    def work() -> str:
        web.store.place_kiosk(kiosk, location or None, web.clock(), who.actor)
        return f"Kiosk {kiosk} is in {location or 'no cage'}."

    return _change(request, who, web, work, lambda exc: f"Kiosk not moved: {exc}.", (NotFound,))
