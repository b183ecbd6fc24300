"""Every route of the app with the role it needs, found the way FastAPI itself finds them."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from hub.web.auth import Role
from hub.web.security import Need


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) for every API route, included routers too."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies included routes into app.routes
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path, route
        return
    for ctx in iter_route_contexts(app.routes):
        if isinstance(ctx.original_route, APIRoute):
            yield ctx.path or ctx.original_route.path, ctx.original_route


def needed_role(dependant: Dependant) -> Role | None:
    if isinstance(dependant.call, Need):
        return dependant.call.role
    for sub in dependant.dependencies:
        role = needed_role(sub)
        if role is not None:
            return role
    return None
