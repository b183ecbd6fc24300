"""The hub on a real PostgreSQL cluster (made with initdb by the fixture): the same migrations
and the same behaviour as on SQLite, and what only matters when several hub processes share one
database: concurrent writers and a single sweeper; and what PostgreSQL refuses that SQLite takes
(a NUL in a text field)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import ProgrammingError

from hub.alerts.dispatch import Alerter
from hub.domain import lifecycle
from hub.domain.sweeper import AlertRules
from hub.ingest import Inbound, Ingest
from hub.link import HubBroker, HubLink
from hub.localbroker import LocalBroker
from hub.store import Store
from hub.store.schema import ledger, metadata, people
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from tests.events import KioskFeed, checkout_event, denial_event
from tests.integration.test_migrations import fold_repeats_through_the_migration
from tests.mqtt_probe import Probe
from wire import (
    Ack,
    AckResult,
    ReturnCondition,
    Topics,
    decode_ack,
    encode_event,
)

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
    assert pg_store.replica_rows(now).strikes == {"ada": 1}
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
    for path in ("/people/ada", "/a/CAM-0002", "/reports", "/maintenance", "/audit", "/assets"):
        assert client.get(path).status_code == 200, path
    assert "Ada Lovelace" in client.get("/a/CAM-0002").text.split('id="history"')[1]
    filtered = client.get("/audit?actor=hub&action=asset&q=cam&since=2026-01-01&until=2027-01-01")
    assert filtered.status_code == 200
    assert client.get("/reports?fresh=1").status_code == 200


def test_only_one_hub_process_sweeps_at_a_time(pg_stores: tuple[Store, Store]) -> None:
    first, second = pg_stores
    with first.exclusive("sweep") as mine:
        assert mine
        with second.exclusive("sweep") as theirs:
            assert not theirs  # another process holds it: this one skips its pass
        assert Alerter(second, lambda: T0).sweep_once().raised == 0
    with second.exclusive("sweep") as now_theirs:
        assert now_theirs


# a scanned QR code can hold a NUL, and PostgreSQL text cannot
NUL_SCAN = "not a label: ab\x00cd"


def test_an_event_postgres_cannot_store_is_rejected_alone(pg_store: Store) -> None:
    topics = Topics()
    pg_store.add_kiosk("cage-2", "Sound cage", T0)
    k1, k2 = pg_store.kiosk_key("cage-1"), pg_store.kiosk_key("cage-2")
    assert k1 is not None and k2 is not None
    poison = Inbound(
        topics.events("cage-1"), encode_event(denial_event("cage-1", 2, T0, NUL_SCAN), k1)
    )
    batch = [
        Inbound(
            topics.events("cage-1"), encode_event(checkout_event("cage-1", 1, T0, "CAM-0001"), k1)
        ),
        poison,
        Inbound(
            topics.events("cage-2"), encode_event(checkout_event("cage-2", 1, T0, "CAM-0002"), k2)
        ),
    ]
    acks = Ingest(pg_store, topics).process(batch, T0)
    [(seq1, ok), (seq2, refused)] = [(a.seq, a) for a in acks["cage-1"].acks]
    assert (seq1, ok.result, seq2, refused.result) == (
        1,
        AckResult.COMMITTED,
        2,
        AckResult.REJECTED,
    )
    assert refused.error is not None and "NUL" in refused.error
    assert [a.result for a in acks["cage-2"].acks] == [AckResult.COMMITTED]
    out = sorted((i.asset, i.kiosk) for i in pg_store.items_out())
    assert out == [("CAM-0001", "cage-1"), ("CAM-0002", "cage-2")]
    [kept] = pg_store.quarantined()
    assert (kept.kiosk, kept.payload, kept.error) == ("cage-1", poison.payload, refused.error)


def test_a_fault_of_the_hubs_own_database_rejects_no_event(pg_store: Store) -> None:
    """A table the hub cannot use (here renamed away, as by a half-done migration or a missing
    grant) is the hub's problem: the batch fails and is sent again, nothing is rejected."""
    topics = Topics()
    key = pg_store.kiosk_key("cage-1")
    assert key is not None
    batch = [
        Inbound(
            topics.events("cage-1"), encode_event(checkout_event("cage-1", 1, T0, "CAM-0001"), key)
        )
    ]
    with pg_store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE holdings RENAME TO holdings_away"))
    with pytest.raises(ProgrammingError):
        Ingest(pg_store, topics).process(batch, T0)
    assert pg_store.quarantined() == []
    assert [r for r in pg_store.ledger_rows() if r.kiosk == "cage-1"] == []
    with pg_store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE holdings_away RENAME TO holdings"))
    acks = Ingest(pg_store, topics).process(batch, T0)  # the kiosk's resend, once put right
    assert [a.result for a in acks["cage-1"].acks] == [AckResult.COMMITTED]


def test_the_hub_on_postgres_acks_the_rest_and_rejects_a_nul_event(
    pg_store: Store, tmp_path: Path
) -> None:
    """The whole path: real Mosquitto, the hub link, PostgreSQL; the hub stays connected."""
    topics = Topics()
    key = pg_store.kiosk_key("cage-1")
    assert key is not None
    hub_password, kiosk_password = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    broker = LocalBroker(tmp_path / "broker", {"hub": hub_password, "cage-1": kiosk_password})
    broker.start()
    hub = HubLink(
        HubBroker("127.0.0.1", broker.port, "hub", hub_password, tls_ca=str(broker.ca_file)),
        pg_store,
        lambda: T0,
    )
    hub.start()
    probe = Probe(broker.port, "cage-1", kiosk_password, "probe-cage-1")
    try:
        assert hub.wait_connected(10)
        probe.subscribe(topics.acks("cage-1"))
        poison = encode_event(denial_event("cage-1", 1, T0, NUL_SCAN), key)
        probe.publish(topics.events("cage-1"), poison)
        probe.publish(
            topics.events("cage-1"), encode_event(checkout_event("cage-1", 2, T0, "CAM-0003"), key)
        )
        acks: dict[int, Ack] = {}
        for messages in (1, 2):
            for m in probe.wait_for(topics.acks("cage-1"), count=messages):
                acks.update((a.seq, a) for a in decode_ack(m.payload, key).acks)
            if len(acks) == 2:
                break
        assert acks[1].result is AckResult.REJECTED and "NUL" in (acks[1].error or "")
        assert acks[2].result is AckResult.COMMITTED
        assert [i.asset for i in pg_store.items_out()] == ["CAM-0003"]
        assert [q.payload for q in pg_store.quarantined()] == [poison]
    finally:
        probe.close()
        hub.stop()
        broker.stop()


def test_the_quarantine_counts_a_message_sent_again_on_postgres(pg_store: Store) -> None:
    topic = Topics().events("cage-1")
    for minutes in (0, 2, 9):
        pg_store.quarantine(
            topic, "cage-1", "bad\x00 signature", b"same", T0 + timedelta(minutes=minutes)
        )
    pg_store.quarantine(topic, "cage-1", "bad signature", b"other", T0)
    kept = pg_store.quarantined()
    assert [(q.payload, q.repeats) for q in kept] == [(b"same", 2), (b"other", 0)]
    assert (kept[0].received_at, kept[0].last_at) == (T0, T0 + timedelta(minutes=9))
    assert kept[0].error == "bad\\x00 signature"
    assert pg_store.quarantined_entry(kept[1].id) == kept[1]


def test_the_quarantine_migration_folds_repeats_on_postgres(pg_url: str) -> None:
    fold_repeats_through_the_migration(pg_url)


@pytest.fixture
def icu_url(pg_server: tuple[str, int]) -> Iterator[str]:
    """A database whose text sorts as people read it (ICU, punctuation ignored): there
    'cage10' < 'cage-2', where Python's code-point order says the opposite."""
    import psycopg

    host, port = pg_server
    with psycopg.connect(
        host=host, port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute("DROP DATABASE IF EXISTS icu_order")
        conn.execute(
            "CREATE DATABASE icu_order TEMPLATE template0 LOCALE 'C' "
            "LOCALE_PROVIDER icu ICU_LOCALE 'en-US-u-ka-shifted'"
        )
    yield f"postgresql+psycopg://postgres@{host}:{port}/icu_order"


def test_event_order_does_not_follow_the_databases_collation(icu_url: str) -> None:
    """cage-2 lends and takes back CAM-0001; cage10 lends it again in the same second as that
    return. In event order (kiosk ids by code point) the new loan comes after the return, the
    item's rest point: grace holds it, whatever the database's collation says."""
    store = Store.open(icu_url)
    try:
        store.add_person("ada", "Ada")
        store.add_person("grace", "Grace")
        store.add_asset("CAM-0001", "Camera", "camera")
        for kiosk in ("cage-2", "cage10"):
            store.add_kiosk(kiosk, kiosk, T0 - timedelta(days=1))
        noon = T0 + timedelta(hours=2)
        cage2, cage10 = KioskFeed(store, "cage-2"), KioskFeed(store, "cage10")
        cage2.checkout("CAM-0001", "ada", T0)
        cage2.give_back("CAM-0001", "ada", noon)
        cage10.checkout("CAM-0001", "grace", noon)
        assert [(i.asset, i.person) for i in store.items_out()] == [("CAM-0001", "grace")]
        assert store.verify() == []
    finally:
        store.close()


def _waiting_on_a_lock(store: Store) -> bool:
    """Whether some other session of this database waits for a row lock right now."""
    with store.engine.connect() as conn:
        return bool(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
            )
        )


@contextmanager
def _paused_in(store: Store, method: str, other: Callable[[], object]) -> Iterator[None]:
    """Inside the block, once ``store`` has run ``method`` (its transaction open), ``other``
    runs in a thread, and ``store`` goes on only when ``other`` waits on a lock it holds, or
    has finished; at the end of the block ``other`` is waited for."""
    original = getattr(Store, method)
    started: list[threading.Thread] = []

    def paused(self: Store, *args: object, **kwargs: object) -> object:
        result = original(self, *args, **kwargs)
        if self is store and not started:
            started.append(threading.Thread(target=other))
            started[0].start()
            deadline = datetime.now(UTC) + timedelta(seconds=10)
            while started[0].is_alive() and not _waiting_on_a_lock(store):
                assert datetime.now(UTC) < deadline, "the other hub neither blocked nor finished"
                started[0].join(0.01)
        return result

    setattr(Store, method, paused)
    try:
        yield
    finally:
        setattr(Store, method, original)
        for worker in started:
            worker.join(10)


def test_two_hubs_counting_one_persons_strikes_at_once_ban_her(pg_url: str) -> None:
    """Each hub commits one of Ada's two late returns (limit 2) at the same moment: the second
    to count sees the first's, and she is banned."""
    from hub.domain.strikes import StrikeRules

    rules = StrikeRules(limit=2, term=timedelta(days=30), ban=timedelta(days=14))
    now = T0 + timedelta(days=1)
    a = Store.open(pg_url, strikes=rules, now=now)
    b = Store.open(pg_url, upgrade=False, strikes=rules)
    try:
        a.add_person("ada", "Ada")
        for code in ("CAM-1", "CAM-2"):
            a.add_asset(code, code, "camera")
        feeds = [KioskFeed(a, kiosk) for kiosk in ("cage-1", "cage-2")]
        for feed in feeds:
            a.add_kiosk(feed.kiosk, feed.kiosk, T0 - timedelta(days=1))
        feeds[0].checkout("CAM-1", "ada", T0, hours=2)
        feeds[1].checkout("CAM-2", "ada", T0, hours=2)
        feeds[1].store = b  # cage-2's return reaches the other hub
        back_at_b = lambda: feeds[1].give_back("CAM-2", "ada", T0 + timedelta(hours=6))  # noqa: E731
        with _paused_in(a, "_strike_times", back_at_b):
            feeds[0].give_back("CAM-1", "ada", T0 + timedelta(hours=5))
        with a.engine.connect() as conn:
            until = conn.scalar(select(people.c.blocked_until).where(people.c.id == "ada"))
        assert until is not None
        assert a.verify(now) == []
    finally:
        a.close()
        b.close()
