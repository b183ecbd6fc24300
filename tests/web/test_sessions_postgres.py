"""Two hubs on one PostgreSQL database (each its own store, connection pool and web server; the
database is all they share): a sign-in, a logout and the failed-login counts are seen by both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from hub.store import Store
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from hub.web.sessions import COOKIE
from tests.web.conftest import PASSWORD, Clock
from tests.web.served import page_csrf, served, sign_in, signed_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def two_hubs(pg_stores: tuple[Store, Store], clock: Clock) -> Iterator[tuple[str, str, Store]]:
    with ExitStack() as stack:
        stores = list(pg_stores)
        create_user(stores[0], "manager", PASSWORD, "manager", clock())
        create_user(stores[0], "viewer", PASSWORD, "viewer", clock())
        urls = [
            stack.enter_context(served(create_app(s, WebSettings(secret_key="k" * 40), clock)))
            for s in stores
        ]
        yield urls[0], urls[1], stores[0]


def test_a_session_begun_at_one_hub_ends_at_both(two_hubs: tuple[str, str, Store]) -> None:
    a, b, _ = two_hubs
    at_a = signed_in(a, "manager", PASSWORD)
    token = at_a.cookies[COOKIE]
    at_b = httpx.Client(base_url=b, cookies={COOKIE: token})
    assert at_b.get("/api/v1/items-out").status_code == 200  # the same session at hub B
    out = at_b.post("/logout", data={"csrf": page_csrf(at_b, "/")}, headers={"Origin": b})
    assert out.status_code == 303
    again = httpx.Client(base_url=a, cookies={COOKIE: token})
    assert again.get("/api/v1/items-out").status_code == 401  # hub A knows at once
    assert again.get("/").headers["location"] == "/login"


def test_failures_at_either_hub_count_toward_one_lock(two_hubs: tuple[str, str, Store]) -> None:
    a, b, store = two_hubs
    for n in range(10):  # five guesses at each hub
        reply = sign_in(httpx.Client(base_url=(a, b)[n % 2]), "manager", f"guess {n}")
        assert reply.status_code == 401
    for url in (a, b):
        assert sign_in(httpx.Client(base_url=url), "manager", PASSWORD).status_code == 401
    assert sign_in(httpx.Client(base_url=b), "viewer", PASSWORD).status_code == 303
    assert store.throttle_rows() == 2  # the account and the one client
