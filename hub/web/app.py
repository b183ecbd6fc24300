"""The dashboard as a FastAPI app: login, the overview of what is out, and a small JSON API.

Every route needs a logged-in session except the login page, the health check and static files;
tests enumerate the routes to keep it so.
"""

from __future__ import annotations

import secrets
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from hub.store import ItemOut, Store, User
from hub.web.auth import verify_password

HERE = Path(__file__).parent
PUBLIC_PATHS = ("/login", "/healthz", "/static")
MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class WebSettings:
    secret_key: str
    secure_cookies: bool = False
    site_name: str = "Cagekeeper"
    display_tz: str = "UTC"


class LoginRequired(Exception):
    """Raised by the auth dependency; answered with a redirect (HTML) or 401 (API)."""


class BadCsrf(Exception):
    pass


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
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.store = store
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    tz = ZoneInfo(settings.display_tz)
    failures = _Failures(clock)

    def local(value: datetime) -> str:
        return value.astimezone(tz).strftime("%a %d %b %H:%M")

    templates.env.filters["local"] = local

    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            request.session["csrf"] = token
        return token

    def check_csrf(request: Request, token: str) -> None:
        expected = request.session.get("csrf")
        if not isinstance(expected, str) or not secrets.compare_digest(expected, token):
            raise BadCsrf()

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "login required"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(BadCsrf)
    async def _bad_csrf(_request: Request, _exc: BadCsrf) -> Response:
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
        return templates.TemplateResponse(
            request,
            "login.html",
            {"site": settings.site_name, "csrf": csrf_token(request), "error": None},
        )

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

    def _login_page(request: Request, error: str, status: int) -> Response:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"site": settings.site_name, "csrf": csrf_token(request), "error": error},
            status_code=status,
        )

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, user: UserDep, csrf: Annotated[str, Form()] = "") -> Response:
        check_csrf(request, csrf)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview(request: Request, user: UserDep) -> Response:
        now = clock()
        return templates.TemplateResponse(
            request,
            "overview.html",
            {
                "site": settings.site_name,
                "user": user,
                "csrf": csrf_token(request),
                "items": [_item_view(i, now, local) for i in store.items_out()],
                "kiosks": store.kiosks(),
                "attention": store.attention(),
                "now": local(now),
                "tz": settings.display_tz,
            },
        )

    @app.get("/a/{code}", response_class=HTMLResponse, include_in_schema=False)
    def asset_page(request: Request, code: str, user: UserDep) -> Response:
        """Where an asset label's link leads when scanned with a phone."""
        asset = store.asset(code.upper())
        context = {
            "site": settings.site_name,
            "user": user,
            "csrf": csrf_token(request),
            "asset": asset,
            "code": code.upper(),
        }
        return templates.TemplateResponse(
            request, "asset.html", context, status_code=200 if asset else 404
        )

    @app.get("/api/v1/items-out")
    def items_out(user: UserDep) -> list[dict[str, Any]]:
        """Everything out now, soonest due first, with whether it is overdue."""
        now = clock()
        return [_item_view(i, now, local) for i in store.items_out()]

    @app.get("/api/v1/kiosks")
    def kiosks(user: UserDep) -> list[dict[str, Any]]:
        """Registered kiosks and their last reported state."""
        return [
            {
                "id": k.id,
                "name": k.name,
                "state": k.state or "never seen",
                "updated_at": k.updated_at.isoformat() if k.updated_at else None,
            }
            for k in store.kiosks()
        ]

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


def current_user(request: Request) -> User:
    """The logged-in user, or LoginRequired; every protected route depends on this."""
    username = request.session.get("user")
    store: Store = request.app.state.store
    user = store.get_user(username) if isinstance(username, str) else None
    if user is None:
        raise LoginRequired()
    return user


UserDep = Annotated[User, Depends(current_user)]


def _item_view(item: ItemOut, now: datetime, local: Callable[[datetime], str]) -> dict[str, Any]:
    late = now - item.due
    return {
        "asset": item.asset,
        "asset_name": item.asset_name,
        "category": item.category,
        "person": item.person,
        "person_name": item.person_name,
        "kiosk": item.kiosk,
        "since": item.since.isoformat(),
        "due": item.due.isoformat(),
        "since_local": local(item.since),
        "due_local": local(item.due),
        "overdue": late > timedelta(0),
        "late": _late_text(late) if late > timedelta(0) else "",
    }


def _late_text(late: timedelta) -> str:
    minutes = int(late.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min late"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h late"
    return f"{hours // 24} days late"
