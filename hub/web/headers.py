"""Headers every answer carries, errors included: no framing, no sniffing, a strict content
policy, no caching of anything but static files, and HSTS once the dashboard is on HTTPS.

It wraps the whole application (outside the error handler that writes 500 answers), so a crash
is answered with the same headers as a page.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALWAYS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"  # a year; no includeSubDomains: the hub may share its domain
CACHED = ("/static/",)  # the only answers a browser or proxy may keep


class SecurityHeaders:
    """ASGI middleware adding the headers above. ``secure``: True sends HSTS on every answer;
    None sends it on answers to HTTPS requests; False never."""

    def __init__(self, app: ASGIApp, secure: bool | None) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hsts = self.secure is True or (self.secure is None and scope.get("scheme") == "https")
        cached = str(scope.get("path", "")).startswith(CACHED)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers[name] = value
                if hsts:
                    headers["Strict-Transport-Security"] = HSTS
                if not cached:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
