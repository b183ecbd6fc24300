"""Dashboard sessions kept in the database: the browser's cookie carries only a random token.

Every hub process sharing the database sees the same sessions, so logging out, changing a
password or disabling a user ends a session everywhere at once, and a copied cookie stops
working then. Routes see the session as ``request.session`` (``user``, ``csrf``, ``flash``);
what a request changes there is written back before its answer leaves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.store import Store
from hub.store.access import SessionLimits, WebSession

COOKIE = "cagekeeper_session"
_STATE = "cagekeeper.session"
_MIDDLEWARE = "cagekeeper.sessions"


# A request that asks who it is for longer than this after it came (a live feed) has its
# session looked up again, so a logout elsewhere ends it too.
RECHECK = 5.0  # seconds


@dataclass
class _State:
    token: str | None  # of the live session this request came with, or made by signing in
    found: WebSession | None
    saved: tuple[str | None, str | None] = (None, None)  # (csrf, flash) as the table has them
    new: bool = False  # signed in by this request: the cookie is sent
    ended: bool = False  # signed out (or the cookie named no live session): the cookie is cleared
    checked: float = field(default_factory=time.monotonic)


def current(request: Request) -> WebSession | None:
    """The live session this request came with (None after ``end``); looked up again if the
    request has been open a while (call it from a worker thread then: it reads the database)."""
    state: _State = request.scope[_STATE]
    if state.ended or state.found is None or state.token is None:
        return None
    if time.monotonic() - state.checked > RECHECK:
        sessions: ServerSessions = request.scope[_MIDDLEWARE]
        state.found = sessions.store.web_session(state.token, sessions.clock(), sessions.limits)
        state.checked = time.monotonic()
    return state.found


def token_of(request: Request) -> str | None:
    state: _State = request.scope[_STATE]
    return None if state.ended else state.token


def begin(request: Request, store: Store, username: str, now: datetime) -> None:
    """Sign this browser in as ``username`` with a new session (never the one it came with,
    so a token planted before sign-in is worth nothing)."""
    state: _State = request.scope[_STATE]
    limits = request.scope[_MIDDLEWARE].limits
    if state.token is not None and not state.ended:
        store.end_session(state.token)
    state.token = store.start_session(username, now, limits)
    found = store.web_session(state.token, now, limits)
    if found is None:  # the user was disabled meanwhile
        end(request, store)
        return
    state.found, state.new, state.ended = found, True, False
    state.saved = (found.csrf, None)
    request.session.clear()
    request.session.update(user=found.username, csrf=found.csrf)


def end(request: Request, store: Store) -> None:
    """Sign this browser out: the session's row is deleted, so its cookie opens nothing."""
    state: _State = request.scope[_STATE]
    if state.token is not None:
        store.end_session(state.token)
    state.ended, state.new, state.found = True, False, None
    request.session.clear()


class ServerSessions:
    """ASGI middleware: finds the session a request's cookie names and writes back what the
    request changed in it."""

    def __init__(
        self,
        app: ASGIApp,
        store: Store,
        clock: Callable[[], datetime],
        limits: SessionLimits,
        secure: bool | None,
    ) -> None:
        self.app = app
        self.store = store
        self.clock = clock
        self.limits = limits
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = HTTPConnection(scope).cookies.get(COOKIE)
        found = (
            await run_in_threadpool(self.store.web_session, token, self.clock(), self.limits)
            if token
            else None
        )
        state = _State(token if found else None, found, ended=bool(token) and found is None)
        data: dict[str, Any] = {}
        if found is not None:
            state.saved = (found.csrf, found.flash)
            data = {"user": found.username, "csrf": found.csrf}
            if found.flash:
                data["flash"] = found.flash
        scope["session"] = data
        scope[_STATE] = state
        scope[_MIDDLEWARE] = self

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self._finish(scope, state, message)
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _finish(self, scope: Scope, state: _State, message: Message) -> None:
        headers = MutableHeaders(scope=message)
        if state.ended:
            headers.append("set-cookie", self._cookie("", 0, scope))
            return
        if state.token is None:
            return
        if state.new:
            max_age = int(self.limits.lifetime.total_seconds())
            headers.append("set-cookie", self._cookie(state.token, max_age, scope))
        data = scope["session"]
        now = (data.get("csrf"), data.get("flash"))
        if now != state.saved and isinstance(now[0], str):
            await run_in_threadpool(self.store.save_session, state.token, now[0], now[1])

    def _cookie(self, value: str, max_age: int, scope: Scope) -> str:
        secure = self.secure if self.secure is not None else scope.get("scheme") == "https"
        return f"{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax" + (
            "; Secure" if secure else ""
        )
