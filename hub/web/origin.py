"""Requests that change something must come from the dashboard's own pages.

A browser names the page a POST (PUT, PATCH, DELETE) was sent from in ``Origin``, or failing
that in ``Referer``; one that names another site is refused with 403 before any route runs.
A request with neither did not come from a browser page (browsers send ``Origin`` with every
such cross-site request), so it cannot be a cross-site forgery; the CSRF token still guards it.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORT = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, the default port left out; None if it has none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORT or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORT[scheme] else "")


def refusal(scope: Scope, also: frozenset[str]) -> str | None:
    """Why this request is refused as cross-site, or None if it may go on."""
    if scope["type"] != "http" or scope["method"] in SAFE:
        return None
    headers = Headers(scope=scope)
    ours = origin_of(f"{scope.get('scheme', 'http')}://{headers.get('host', '')}")
    allowed = also | ({ours} if ours else set())
    sent = headers.get("origin")
    named = "Origin"
    if sent is None:
        sent, named = headers.get("referer"), "Referer"
        if sent is None:
            return None
    theirs = origin_of(sent)
    if theirs is not None and theirs in allowed:
        return None
    why = (
        f"This request was sent from {theirs or repr(sent[:100])} ({named} header), not from "
        f"this dashboard ({ours or 'unknown'}), and is refused."
    )
    if theirs and ours and theirs.split("://")[1] == ours.split("://")[1]:
        why += (
            " The page was loaded over a different scheme than the hub sees: if a proxy serves"
            " the dashboard over HTTPS, list its address in [web] trusted_proxies."
        )
    return why


class SameOrigin:
    """ASGI middleware refusing cross-site writes (403, JSON under /api/)."""

    def __init__(self, app: ASGIApp, also: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.also = also

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        why = refusal(scope, self.also)
        if why is None:
            await self.app(scope, receive, send)
            return
        response: Response
        if str(scope.get("path", "")).startswith("/api/"):
            response = JSONResponse({"error": why}, status_code=403)
        else:
            response = HTMLResponse(
                f"<!doctype html><title>Refused</title><p>{escape(why)}</p>"
                "<p><a href='/'>Back to the dashboard</a></p>",
                status_code=403,
            )
        await response(scope, receive, send)
