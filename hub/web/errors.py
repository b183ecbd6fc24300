"""How the dashboard and its API answer a request they cannot serve, in the shapes the OpenAPI
document declares: 422 always as FastAPI's validation list (``{"detail": [{loc, msg, type}]}``),
404/400/409 as ``{"detail": "..."}``, 401/403 as ``{"error": "..."}``, and a 405 whose ``Allow``
header names every method the path has, not only those of the first route that matched it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from hub.errors import BookingConflict, NotFound


class Problem(BaseModel):
    """What a 400, 404 or 409 says."""

    detail: str


class Refusal(BaseModel):
    """What a 401 or 403 says."""

    error: str


Responses = dict[int | str, dict[str, Any]]


def _doc(status: int, description: str, model: type[BaseModel]) -> Responses:
    return {status: {"description": description, "model": model}}


UNAUTHORIZED = _doc(401, "Not logged in, or an unknown or revoked token.", Refusal)
FORBIDDEN = _doc(403, "The role is too low, or the session's CSRF token is missing.", Refusal)
NOT_FOUND = _doc(404, "No such record.", Problem)
BAD_BODY = _doc(400, "The body is not parseable JSON.", Problem)
CONFLICT = _doc(409, "Clashes with an existing record.", Problem)


def invalid(loc: tuple[str | int, ...], message: str, value: object = None) -> NoReturn:
    """Refuse a request the schema allowed but a rule it cannot state forbids (422), in the
    same shape as every other validation error."""
    raise RequestValidationError(
        [{"type": "value_error", "loc": loc, "msg": message, "input": value}]
    )


@contextmanager
def booking_refusals() -> Iterator[None]:
    """A booking the store refuses, as the API answers it: 409 with every reason, 404 for no
    such item or person, 422 on ``ends`` for a window the schema could not rule out."""
    try:
        yield
    except BookingConflict as exc:
        raise HTTPException(409, str(exc)) from exc
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except ValueError as exc:
        invalid(("body", "ends"), str(exc))


async def _overflow(request: Request, _exc: Exception) -> Response:
    """A number too large for the database or for a date that got past the bounds the
    parameters declare: still the client's error, never a 500."""
    out_of_range = {"type": "value_error", "loc": ["request"], "msg": "a number is out of range"}
    return await request_validation_exception_handler(
        request, RequestValidationError([out_of_range])
    )


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        methods = allowed_methods(request.app, request.url.path)
        if methods:
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(methods)}
    return await http_exception_handler(request, exc)


def _route_patterns(app: FastAPI) -> Iterator[tuple[re.Pattern[str], set[str]]]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies included routes into app.routes
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path_regex, set(route.methods or ())
        return
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute):
            yield compile_path(ctx.path or route.path)[0], set(route.methods or ())


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route serves at ``path`` (HEAD with GET, as Starlette answers it)."""
    patterns = getattr(app.state, "route_patterns", None)
    if patterns is None:
        patterns = app.state.route_patterns = list(_route_patterns(app))
    found: set[str] = set()
    for pattern, methods in patterns:
        if pattern.match(path):
            found |= methods
    if "GET" in found:
        found.add("HEAD")
    return sorted(found)


def register(app: FastAPI) -> None:
    """Install the handlers on ``app``."""
    app.add_exception_handler(OverflowError, _overflow)
    app.add_exception_handler(StarletteHTTPException, _http)
