"""Dashboard fixtures: a real SQLite store, an injected clock, a user, the app on a real port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.store import Store
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from tests.databases import fresh_sqlite
from tests.events import checkout_event, commit
from tests.web.served import client_of, page_csrf, served

PASSWORD = "a long test password"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    s = Store.open(fresh_sqlite(tmp_path / "hub.db"))
    s.add_person("ada", "Ada Lovelace", ["04A1B2C3"])
    s.add_person("eve", "<script>alert(1)</script>", ["0EEEEEEE"])
    for code, name in (
        ("CAM-0001", "Canon C70"),
        ("CAM-0002", "Sony FX3"),
        ("LENS-0001", "Zeiss 50mm"),
    ):
        s.add_asset(code, name, "camera")
    s.add_kiosk("cage-1", "Film cage", clock(), location="Film cage")
    create_user(s, "manager", PASSWORD, "manager", clock())
    create_user(s, "viewer", PASSWORD, "viewer", clock())
    create_user(s, "admin", PASSWORD, "admin", clock())
    yield s
    s.close()


def checkout(
    store: Store, clock: Clock, asset: str, person: str = "ada", hours: float = 2, seq: int = 1
) -> None:
    commit(store, checkout_event("cage-1", seq, clock(), asset, person, hours))


@pytest.fixture
def app(store: Store, clock: Clock) -> FastAPI:
    return create_app(store, WebSettings(secret_key="k" * 40), clock)


def session_of(app: FastAPI, user: str = "manager", page: str = "/") -> tuple[TestClient, str]:
    """An in-process client signed in as ``user``, and the CSRF token ``page`` gives it."""
    client = client_of(app, user, PASSWORD)
    return client, page_csrf(client, page)


def serving(app: FastAPI) -> AbstractContextManager[str]:
    """The app on a free loopback port as the hub serves it (no forwarded headers believed);
    yields its base URL."""
    return served(app)
