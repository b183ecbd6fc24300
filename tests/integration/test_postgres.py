"""The hub on a real PostgreSQL cluster (made with initdb by the fixture): the same migrations
and the same behaviour as on SQLite, and what only matters when several hub processes share one
database: concurrent writers and a single sweeper."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.alerts.dispatch import Alerter
from hub.domain import lifecycle
from hub.domain.sweeper import AlertRules
from hub.store import Store
from hub.store.schema import ledger, metadata
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from tests.events import KioskFeed
from wire import ReturnCondition

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    store = Store.open(pg_url)
    store.add_person("ada", "Ada Lovelace", ["04A1B2C3"], email="ada@example.org")
    store.add_kiosk("cage-1", "Film cage", T0, location="Film cage")
    for n in range(20):
        store.add_asset(f"CAM-{n:04d}", f"Camera {n}", "camera", now=T0, home="Film cage")
    yield store
    store.close()


def test_migrations_build_the_declared_schema(pg_store: Store) -> None:
    with pg_store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_concurrent_managers_never_draw_the_same_ledger_number(pg_store: Store) -> None:
    errors: list[BaseException] = []
    go = threading.Event()

    def retire(code: str) -> None:
        go.wait(10)
        try:
            pg_store.move_asset(code, lifecycle.Action.RETIRE, T0, "manager", "old")
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=retire, args=(f"CAM-{n:04d}",)) for n in range(20)]
    for w in workers:
        w.start()
    go.set()
    for w in workers:
        w.join(30)
    assert errors == []
    with pg_store.engine.connect() as conn:
        seqs = sorted(conn.scalars(select(ledger.c.seq).where(ledger.c.kiosk == "hub")))
    assert seqs == list(range(1, 41))  # 20 acquisitions, then 20 retirements


def test_custody_alerts_reports_and_the_overview_on_postgres(pg_store: Store) -> None:
    feed = KioskFeed(pg_store)
    feed.checkout("CAM-0001", "ada", T0, hours=2)
    feed.checkout("CAM-0002", "ada", T0, hours=2)
    now = T0 + timedelta(hours=5)
    feed.give_back("CAM-0002", "ada", now, ReturnCondition.DAMAGED, "cracked")
    report = Alerter(pg_store, lambda: now, AlertRules()).run_once()
    assert report.raised == 1  # CAM-0001 is overdue
    assert [t.asset for t in pg_store.tickets()] == ["CAM-0002"]
    assert pg_store.replica_rows(now)["strikes"] == {"ada": 1}
    figures = pg_store.report(T0 - timedelta(days=7), T0 + timedelta(days=7))
    assert figures.most_borrowed[0][2] == 1
    create_user(pg_store, "manager", "a long test password", "manager", now)
    client = TestClient(create_app(pg_store, WebSettings(secret_key="k" * 40), lambda: now))
    page = client.get("/login")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    client.post(
        "/login", data={"username": "manager", "password": "a long test password", "csrf": token}
    )
    overview = client.get("/")
    assert overview.status_code == 200 and "Overdue · 3 h late" in overview.text
    for path in ("/people/ada", "/a/CAM-0002", "/reports", "/maintenance", "/audit"):
        assert client.get(path).status_code == 200, path


def test_only_one_hub_process_sweeps_at_a_time(pg_url: str) -> None:
    first, second = Store.open(pg_url), Store.open(pg_url)
    try:
        with first.exclusive("sweep") as mine:
            assert mine
            with second.exclusive("sweep") as theirs:
                assert not theirs  # another process holds it: this one skips its pass
            assert Alerter(second, lambda: T0).sweep_once().raised == 0
        with second.exclusive("sweep") as now_theirs:
            assert now_theirs
    finally:
        first.close()
        second.close()
