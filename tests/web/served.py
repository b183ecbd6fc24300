"""The dashboard served as the hub serves it (hub.web.server: forwarded headers believed only
from the configured proxies), and signing in over real HTTP."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.localbroker import free_port
from hub.web.server import uvicorn_config
from hub.web.sessions import COOKIE


@contextmanager
def served(app: FastAPI, trusted_proxies: tuple[str, ...] = ()) -> Iterator[str]:
    """The app on a free loopback port in a background thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn_config(app, "127.0.0.1", port, trusted_proxies, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    ready = threading.Event()
    for _ in range(200):
        if server.started or not thread.is_alive():
            break
        ready.wait(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def sign_in(
    client: httpx.Client, user: str, password: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """The login form, filled in and sent as a browser would (same-origin)."""
    form = client.get("/login", headers=headers)
    return client.post(
        "/login",
        data={"username": user, "password": password, "csrf": csrf_of(form.text)},
        headers={**(headers or {}), "Origin": str(client.base_url).rstrip("/")},
        follow_redirects=False,
    )


def client_of(app: FastAPI, user: str, password: str) -> TestClient:
    """An in-process client holding ``user``'s session, signed in through the login form."""
    client = TestClient(app)
    reply = sign_in(client, user, password)
    assert reply.status_code == 303, reply.text[:300]
    return client


def signed_in(url: str, user: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    reply = sign_in(client, user, password)
    assert reply.status_code == 303 and reply.headers["location"] == "/", reply.text[:300]
    assert client.cookies.get(COOKIE)
    return client


def page_csrf(client: httpx.Client, path: str = "/account") -> str:
    reply = client.get(path)
    assert reply.status_code == 200, reply.status_code
    return csrf_of(reply.text)
