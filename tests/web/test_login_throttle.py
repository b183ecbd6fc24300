"""Sign-in throttling on a real server: per account and per client network, the client address
believed only from configured proxies, bounded rows, and refusals that all look alike."""

from __future__ import annotations

import statistics
import time
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from hub.store import Store
from hub.store.access import ThrottleRule
from hub.web.app import WebSettings, create_app
from hub.web.login import REFUSED, client_network
from tests.web.conftest import PASSWORD, Clock
from tests.web.served import served, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
SETTINGS = WebSettings(secret_key="k" * 40)


def _fresh(n: int) -> dict[str, str]:
    """A made-up client address per request, as an attacker would send."""
    return {"X-Forwarded-For": f"203.0.113.{n % 250}, 198.51.{n // 250}.7"}


def _try(url: str, user: str, password: str, headers: dict[str, str] | None = None) -> int:
    reply = sign_in(httpx.Client(base_url=url, timeout=60), user, password, headers)
    if reply.status_code == 401:
        assert REFUSED in reply.text  # every refusal says the same
    return reply.status_code


def test_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    """No proxy configured: 30 guesses, each claiming a new client address, lock the account
    (and the header never becomes the client's address); then the right password, with yet
    another address, is refused as a wrong one."""
    with served(app) as url:
        answers = [_try(url, "manager", f"guess number {n}", _fresh(n)) for n in range(30)]
        assert answers == [401] * 30
        assert _try(url, "manager", PASSWORD, _fresh(31)) == 401
        assert _try(url, "admin", PASSWORD, _fresh(32)) == 303  # the others' accounts are open
    assert store.login_locks([("user", "manager")], clock()) == {"user"}
    # one client counted, the real peer (31 failures, under its limit), whatever the headers said
    assert store.login_locks([("client", "127.0.0.1")], clock()) == set()
    assert store.throttle_rows() == 2  # manager's account and 127.0.0.1


def test_behind_a_trusted_proxy_the_account_still_locks_and_clients_stay_apart(
    store: Store, clock: Clock
) -> None:
    """With the proxy trusted, fresh X-Forwarded-For values are fresh clients: the account
    lock holds all the same; a client network that sprays accounts is stopped without
    stopping the colleague next to it behind the same proxy."""
    settings = replace(
        SETTINGS,
        login_per_client=ThrottleRule(5, timedelta(minutes=15), timedelta(minutes=15)),
    )
    app = create_app(store, settings, clock)
    with served(app, trusted_proxies=("127.0.0.1",)) as url:
        assert [_try(url, "manager", f"guess {n}", _fresh(n)) for n in range(30)] == [401] * 30
        assert _try(url, "manager", PASSWORD, _fresh(40)) == 401  # locked by account
        sprayer = {"X-Forwarded-For": "192.0.2.66"}
        for n in range(5):  # five unknown names: the sprayer's network is locked
            assert _try(url, f"nobody{n}", "password guess", sprayer) == 401
        assert _try(url, "viewer", PASSWORD, sprayer) == 401
        assert _try(url, "viewer", PASSWORD, {"X-Forwarded-For": "192.0.2.67"}) == 303
        clock.now += timedelta(minutes=16)  # the locks are over
        assert _try(url, "viewer", PASSWORD, sprayer) == 303
        assert _try(url, "manager", PASSWORD, _fresh(41)) == 303


def test_the_throttle_table_stays_small_and_is_pruned(store: Store, clock: Clock) -> None:
    """Unknown names get no row of their own (nothing to protect), a client network is one row
    however many addresses in it are used, and rows whose time is over are deleted."""
    now = clock()
    rule = ThrottleRule(50, timedelta(minutes=15), timedelta(minutes=15))
    for n in range(300):
        client = client_network(f"2001:db8:0:1::{n:x}")  # one IPv6 /64
        store.login_failed([("client", client, rule)], now)
    assert store.throttle_rows() == 1
    assert store.login_locks([("client", "2001:db8:0:1::/64")], now) == {"client"}
    for n in range(20):
        store.login_failed([("client", f"198.51.100.{n}", rule)], now)
    assert store.throttle_rows() == 21
    later = now + timedelta(minutes=16)
    store.login_failed([("client", "192.0.2.1", rule)], later)
    assert store.throttle_rows() == 1  # only the new one; the lapsed rows are gone


def test_locked_unknown_and_wrong_all_answer_alike_in_time(
    app: FastAPI, store: Store, clock: Clock
) -> None:
    """The same work for an unknown user, a wrong password and a locked account: the median
    answer times are compared as ratios (no absolute threshold), taking turns so that the
    machine's load falls on all of them alike."""
    took: dict[str, list[float]] = {"unknown": [], "wrong": [], "locked": []}
    with served(app) as url:
        client = httpx.Client(base_url=url, timeout=60)
        _try(url, "nobody-at-all", "warm the stand-in hash up")

        def timed(kind: str, user: str, password: str) -> None:
            start = time.perf_counter()
            assert _try(url, user, password) == 401
            took[kind].append(time.perf_counter() - start)

        for n in range(9):  # nine failures leave the account one short of its lock
            timed("unknown", f"nobody{n}", f"a guess {n}")
            timed("wrong", "manager", f"a guess {n}")
        assert _try(url, "manager", "the tenth guess") == 401
        for n in range(9):  # now locked: even its right password is refused, as slowly
            timed("unknown", f"someone{n}", f"a guess {n}")
            timed("locked", "manager", PASSWORD)
        client.close()
    unknown = statistics.median(took["unknown"])
    wrong = statistics.median(took["wrong"])
    locked = statistics.median(took["locked"])
    print(
        f"\nmedian answer: unknown user {unknown * 1000:.0f} ms, wrong password "
        f"{wrong * 1000:.0f} ms, locked account {locked * 1000:.0f} ms; ratios "
        f"{wrong / unknown:.2f}, {locked / unknown:.2f}"
    )
    assert 0.75 < wrong / unknown < 1.33
    assert 0.75 < locked / unknown < 1.33
