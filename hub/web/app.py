"""The dashboard as a FastAPI app: login, the managers' pages, the borrowers' portal and the
JSON API.

Every route needs a logged-in user of a given role (``hub.web.security.Need``) except the login
page, the health check, static files and a borrower's calendar feed (its address is its
secret); tests enumerate the routes to keep it so. Around the
routes, outermost first: the security headers (``hub.web.headers``, outside the 500 handler too),
the same-origin check for writes (``hub.web.origin``) and the sessions (``hub.web.sessions``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp

from hub.store import Store
from hub.web import api, errors, identity, login, reservations_api
from hub.web.auth import Role
from hub.web.context import Web, WebSettings
from hub.web.headers import SecurityHeaders
from hub.web.origin import SameOrigin, origin_of
from hub.web.pages import (
    account,
    admin,
    asset_forms,
    assets,
    bookings,
    categories,
    desk,
    locations,
    maintenance,
    me,
    me_browse,
    me_calendar,
    overview,
    people,
    person_forms,
    reports,
    reserve,
    stocktake,
    users,
)
from hub.web.refusals import refusal_text
from hub.web.security import BadCsrf, Forbidden, LoginRequired, NotABorrower, Viewer
from hub.web.sessions import ServerSessions

__all__ = ["WebSettings", "create_app"]

HERE = Path(__file__).parent
PUBLIC_PATHS = ("/login", "/healthz", "/static", "/feed")  # /feed: a calendar's secret address
PAGES = (overview, assets, people, bookings, maintenance, stocktake, desk, reports, admin, account)
# before ``people``: /people/new is the form, not a person's page
EDITING = (asset_forms, person_forms, users, locations, categories)
PORTAL = (me, me_browse, me_calendar)  # a borrower's own pages


class _Dashboard(FastAPI):
    """FastAPI with the security headers outside everything, the error handler included, so a
    500 carries them too."""

    secure_cookies: bool | None = None

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), self.secure_cookies)


def create_app(store: Store, settings: WebSettings, clock: Callable[[], datetime]) -> FastAPI:
    app = _Dashboard(
        title=f"{settings.site_name} API",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served below, behind login
    )
    app.secure_cookies = settings.secure_cookies
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    web = Web(store, templates, clock, settings)
    app.state.store = store
    app.state.clock = clock
    app.state.web = web
    templates.env.filters["local"] = web.local
    templates.env.filters["refusal"] = refusal_text
    errors.register(app)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "login required"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=403)
        if exc.held is Role.BORROWER:  # a borrower's pages are their own
            return RedirectResponse("/me", status_code=303)
        return HTMLResponse(
            f"<p>This page {exc}. Ask an administrator.</p><p><a href='/'>Overview</a></p>",
            status_code=403,
        )

    @app.exception_handler(NotABorrower)
    async def _not_a_borrower(request: Request, _exc: NotABorrower) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "for a person's own account only"}, status_code=403)
        return HTMLResponse(
            "<p>These pages are for borrowers: your account is not a person's.</p>"
            "<p><a href='/'>Overview</a></p>",
            status_code=403,
        )

    @app.exception_handler(BadCsrf)
    async def _bad_csrf(request: Request, _exc: BadCsrf) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "missing or wrong X-CSRF-Token"}, status_code=403)
        return HTMLResponse(
            "The form expired or was not sent by this site. Reload and retry.", status_code=403
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/api/v1/openapi.json", include_in_schema=False)
    def openapi(who: Viewer) -> dict[str, Any]:
        """The API's OpenAPI document, for integrators (behind login like the rest)."""
        return app.openapi()

    app.include_router(login.router)
    app.state.identity = identity.providers_from(settings.identity)
    if app.state.identity.oidc is not None:
        app.include_router(identity.router)
    for module in (*EDITING, *PAGES, *PORTAL):
        app.include_router(module.router, include_in_schema=False)
    app.include_router(reserve.router, include_in_schema=False)  # a borrower's own
    app.include_router(api.router, prefix="/api/v1")
    app.include_router(reservations_api.router, prefix="/api/v1")
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_middleware(
        ServerSessions,
        store=store,
        clock=clock,
        limits=settings.session_limits,
        secure=settings.secure_cookies,
    )
    public = origin_of(settings.url_base) if settings.url_base else None
    # added last, so it runs first: a cross-site write is refused before its session is read
    app.add_middleware(SameOrigin, also=frozenset({public} if public else ()))
    return app
