"""The dashboard as a FastAPI app: login, the managers' pages and the JSON API.

Every route needs a logged-in user of a given role (``hub.web.security.Need``) except the login
page, the health check and static files; tests enumerate the routes to keep it so.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from hub.store import Store
from hub.web import api, errors
from hub.web.auth import verify_password
from hub.web.context import Web, WebSettings
from hub.web.pages import (
    admin,
    assets,
    bookings,
    maintenance,
    overview,
    people,
    reports,
    stocktake,
)
from hub.web.security import (
    BadCsrf,
    Forbidden,
    LoginRequired,
    Viewer,
    check_csrf,
    csrf_token,
)

__all__ = ["WebSettings", "create_app"]

HERE = Path(__file__).parent
PUBLIC_PATHS = ("/login", "/healthz", "/static")
MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)


class _Failures:
    """Failed logins per (username, client) in a sliding window, by the injected clock."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._seen: dict[tuple[str, str], deque[datetime]] = defaultdict(deque)

    def blocked(self, key: tuple[str, str]) -> bool:
        seen = self._seen[key]
        cutoff = self._now() - FAILURE_WINDOW
        while seen and seen[0] < cutoff:
            seen.popleft()
        return len(seen) >= MAX_FAILURES

    def add(self, key: tuple[str, str]) -> None:
        self._seen[key].append(self._now())

    def clear(self, key: tuple[str, str]) -> None:
        self._seen.pop(key, None)


def create_app(store: Store, settings: WebSettings, clock: Callable[[], datetime]) -> FastAPI:
    app = FastAPI(
        title=f"{settings.site_name} API",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served below, behind login
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    web = Web(store, templates, clock, settings)
    app.state.store = store
    app.state.clock = clock
    app.state.web = web
    templates.env.filters["local"] = web.local
    failures = _Failures(clock)
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
        return HTMLResponse(
            f"<p>This page {exc}. Ask an administrator.</p><p><a href='/'>Overview</a></p>",
            status_code=403,
        )

    @app.exception_handler(BadCsrf)
    async def _bad_csrf(request: Request, _exc: BadCsrf) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "missing or wrong X-CSRF-Token"}, status_code=403)
        return HTMLResponse(
            "The form expired or was not sent by this site. Reload and retry.", status_code=403
        )

    @app.middleware("http")
    async def _security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'"
        )
        return response

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request) -> Response:
        return _login_page(request, None, 200)

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        csrf: Annotated[str, Form()] = "",
    ) -> Response:
        check_csrf(request, csrf)
        client = request.client.host if request.client else "-"
        key = (username.lower(), client)
        if failures.blocked(key):
            return _login_page(request, "Too many failed attempts. Try again in 15 minutes.", 429)
        user = store.get_user(username.lower())
        if user is None or not verify_password(user.password_hash, password):
            failures.add(key)
            return _login_page(request, "Wrong username or password.", 401)
        failures.clear(key)
        request.session.clear()
        request.session["user"] = user.username
        csrf_token(request)
        return RedirectResponse("/", status_code=303)

    def _login_page(request: Request, error: str | None, status: int) -> Response:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"site": settings.site_name, "csrf": csrf_token(request), "error": error},
            status_code=status,
        )

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, who: Viewer, csrf: Annotated[str, Form()] = "") -> Response:
        check_csrf(request, csrf)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/api/v1/openapi.json", include_in_schema=False)
    def openapi(who: Viewer) -> dict[str, Any]:
        """The API's OpenAPI document, for integrators (behind login like the rest)."""
        return app.openapi()

    for module in (overview, assets, people, bookings, maintenance, stocktake, reports, admin):
        app.include_router(module.router, include_in_schema=False)
    app.include_router(api.router, prefix="/api/v1")
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="cagekeeper_session",
        max_age=12 * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    return app
