"""Fixtures with real parts: Mosquitto from deploy/'s config (TLS on a free port, its certificate
from a CA made for the session), SQLite files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from argon2 import PasswordHasher

from hub.localbroker import LocalPki, local_pki
from hub.store import Store
from hub.web.auth import use_hasher
from tests.harness import Cage

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Dashboard passwords at the lowest argon2 cost: the production cost (tens of milliseconds a
# hash) would be paid at every sign-in of every web test. Hubs the tests start as processes,
# and the CLI run as a program, keep the production cost.
use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def broker_pki() -> LocalPki:
    """The session's CA and the broker certificate it issued (for 127.0.0.1 and localhost), in a
    temp folder: every broker the tests start serves it, every client trusts that CA alone."""
    return local_pki()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for a test module; each test opens its own pages or contexts.
    Not kept for the session: Playwright's sync API holds an asyncio loop on this thread while
    a browser is open, and later tests run loops of their own. Imported here, not above: the
    kiosk's own suite runs where Playwright is not installed."""
    from tests.browsing import chromium

    with chromium() as b:
        yield b


@pytest.fixture
def cage(tmp_path: Path) -> Iterator[Cage]:
    """A broker, a hub store with a small registry and a running hub link."""
    c = Cage(tmp_path)
    try:
        c.start()
        yield c
    finally:
        c.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[tuple[str, int]]:
    """One PostgreSQL cluster for the session (initdb takes seconds); tests get own databases."""
    from tests.postgres import cluster

    with cluster() as address:
        yield address


@pytest.fixture
def pg_stores(pg_url: str) -> Iterator[tuple[Store, Store]]:
    """Two hubs' stores on one PostgreSQL database, as two hub processes have them."""
    first = Store.open(pg_url)
    try:
        second = Store.open(pg_url)
        try:
            yield first, second
        finally:
            second.close()
    finally:
        first.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty hub database on each backend in turn: a migrated SQLite file, then a new
    database on the session's PostgreSQL cluster (migrated when a store first opens it)."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    from tests.databases import fresh_sqlite

    return fresh_sqlite(tmp_path / "hub.db")


@pytest.fixture
def pg_url(pg_server: tuple[str, int], request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL cluster."""
    import psycopg

    host, port = pg_server
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:50].lower()
    with psycopg.connect(
        host=host, port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@{host}:{port}/{name}"
