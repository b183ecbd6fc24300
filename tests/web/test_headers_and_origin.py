"""What every answer carries (errors and crashes included), HTTPS as the hub sees it through a
trusted proxy only, and writes refused unless they come from the dashboard's own pages."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from fastapi import FastAPI

from hub.store import Store
from hub.web.app import WebSettings, create_app
from hub.web.login import LOGIN_COOKIE
from hub.web.sessions import COOKIE
from tests.web.conftest import PASSWORD, Clock
from tests.web.served import csrf_of, page_csrf, served, signed_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
SETTINGS = WebSettings(secret_key="k" * 40)
GUARDS = ("X-Frame-Options", "X-Content-Type-Options", "Content-Security-Policy")


def _guarded(reply: httpx.Response) -> bool:
    return all(name in reply.headers for name in GUARDS)


def test_every_answer_has_the_headers_and_signed_in_ones_are_not_stored(
    store: Store, clock: Clock
) -> None:
    app = create_app(store, SETTINGS, clock)

    @app.get("/crash", include_in_schema=False)
    def crash() -> None:
        raise RuntimeError("a bug")

    with served(app) as url:
        browser = signed_in(url, "manager", PASSWORD)
        answers = {
            "page": browser.get("/"),
            "api": browser.get("/api/v1/items-out"),
            "not found": browser.get("/no/such/page"),
            "bad query": browser.get("/api/v1/items-out?limit=banana"),
            "anonymous api": httpx.get(url + "/api/v1/items-out"),
            # on a connection of its own: uvicorn closes the connection after a crash
            "crash": httpx.get(url + "/crash", cookies=browser.cookies),
            "login": browser.get("/login"),
        }
        assert [r.status_code for r in answers.values()] == [200, 200, 404, 422, 401, 500, 200]
        for name, reply in answers.items():
            assert _guarded(reply), name
            assert reply.headers["Cache-Control"] == "no-store", name
            assert "Strict-Transport-Security" not in reply.headers  # plain HTTP here
        static = browser.get("/static/style.css")
        assert static.status_code == 200 and _guarded(static)
        assert "no-store" not in static.headers.get("Cache-Control", "")


def _cookie_line(reply: httpx.Response) -> str:
    lines = [v for v in reply.headers.get_list("set-cookie") if v.startswith(COOKIE + "=")]
    assert len(lines) == 1
    return lines[0]


def _sign_in_as_over_https(url: str, headers: dict[str, str]) -> httpx.Response:
    """Sign in the way a browser on HTTPS does: the login form's cookie is Secure, so it is
    sent back by hand here (the test speaks plain HTTP to the hub, as the proxy would)."""
    form = httpx.get(url + "/login", headers=headers)
    token = csrf_of(form.text)
    assert form.cookies.get(LOGIN_COOKIE) == token
    return httpx.post(
        url + "/login",
        data={"username": "manager", "password": PASSWORD, "csrf": token},
        headers={**headers, "Cookie": f"{LOGIN_COOKIE}={token}"},
    )


def test_https_is_believed_from_the_trusted_proxy_only(store: Store, clock: Clock) -> None:
    """Through a trusted proxy that says the browser used HTTPS: HSTS and Secure cookies, and
    the browser's https:// Origin is ours. The same headers from anyone else change nothing."""
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.10"}
    app = create_app(store, SETTINGS, clock)
    with served(app, trusted_proxies=("127.0.0.1",)) as url:
        host = url.removeprefix("http://")
        form = httpx.get(url + "/login", headers=proxied)
        assert form.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "Secure" in form.headers["set-cookie"]
        reply = _sign_in_as_over_https(url, {**proxied, "Origin": f"https://{host}"})
        assert reply.status_code == 303
        assert "; Secure" in _cookie_line(reply) and "HttpOnly" in _cookie_line(reply)
        plain = _sign_in_as_over_https(url, {**proxied, "Origin": f"http://{host}"})
        assert plain.status_code == 403  # an http:// page is not the https:// dashboard

    app = create_app(store, SETTINGS, clock)
    with served(app) as url:  # no proxy trusted: the headers are somebody's claim
        host = url.removeprefix("http://")
        form = httpx.get(url + "/login", headers=proxied)
        assert "Strict-Transport-Security" not in form.headers
        assert "Secure" not in form.headers["set-cookie"]
        reply = _sign_in_as_over_https(url, {**proxied, "Origin": url})
        assert reply.status_code == 303 and "Secure" not in _cookie_line(reply)
        refused = _sign_in_as_over_https(url, {**proxied, "Origin": f"https://{host}"})
        assert refused.status_code == 403
        assert "trusted_proxies" in refused.text  # says how to fix it


def test_secure_cookies_on_sends_hsts_and_secure_cookies_always(store: Store, clock: Clock) -> None:
    app = create_app(store, replace(SETTINGS, secure_cookies=True), clock)
    with served(app) as url:
        reply = _sign_in_as_over_https(url, {"Origin": url})
        assert reply.status_code == 303
        assert reply.headers["Strict-Transport-Security"].startswith("max-age=")
        assert "; Secure" in _cookie_line(reply)


def test_writes_from_other_sites_are_refused(app: FastAPI, store: Store) -> None:
    with served(app) as url:
        browser = signed_in(url, "manager", PASSWORD)
        csrf = page_csrf(browser, "/")
        block = {"reason": "forged", "days": "3", "csrf": csrf}

        def post(headers: dict[str, str], path: str = "/people/ada/block") -> httpx.Response:
            return browser.post(path, data=block, headers=headers)

        evil = post({"Origin": "https://evil.example"})
        assert evil.status_code == 403
        assert "https://evil.example" in evil.text and "refused" in evil.text
        assert _guarded(evil) and evil.headers["Cache-Control"] == "no-store"
        assert post({"Origin": "null"}).status_code == 403
        assert post({"Referer": "https://evil.example/page"}).status_code == 403
        api = browser.post(
            "/api/v1/bookings",
            json={},
            headers={"Origin": "https://evil.example", "X-CSRF-Token": csrf},
        )
        assert api.status_code == 403 and "evil.example" in api.json()["error"]
        assert not _blocks(store)  # nothing went through

        ours = post({"Origin": url})
        assert ours.status_code == 303
        assert _blocks(store) == 1
        assert post({"Referer": url + "/people/ada"}).status_code == 303
        logout = browser.post("/logout", data={"csrf": csrf}, headers={"Origin": "https://x.y"})
        assert logout.status_code == 403 and browser.get("/").status_code == 200


def _blocks(store: Store) -> int:
    return sum(e.action == "person.block" for e in store.audit_entries())


def test_the_public_url_is_one_of_ours(store: Store, clock: Clock) -> None:
    app = create_app(store, replace(SETTINGS, url_base="https://cage.example.edu/"), clock)
    with served(app) as url:
        reply = _sign_in_as_over_https(url, {"Origin": "https://cage.example.edu"})
        assert reply.status_code == 303
