"""The Alembic migrations build exactly the schema the code declares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    LargeBinary,
    String,
    column,
    create_engine,
    insert,
    select,
    table,
    update,
)

from hub.store import Store
from hub.store.custody import REDERIVE
from hub.store.migrate import alembic_config, upgrade
from hub.store.schema import (
    UtcDateTime,
    assets,
    audit_log,
    counters,
    holdings,
    metadata,
)
from tests.events import KioskFeed


def test_migrations_match_the_declared_schema(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    upgrade(engine)
    upgrade(engine)  # running again at the next start changes nothing
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def fold_repeats_through_the_migration(url: str) -> None:
    """A quarantine holding the same message several times, made before 0009: upgraded, each
    message keeps its first row, with the copies after it counted."""
    engine = create_engine(url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008")
    old = table(
        "quarantine",
        column("received_at", UtcDateTime()),
        column("topic", String()),
        column("kiosk", String()),
        column("error", String()),
        column("payload", LargeBinary()),
    )
    t0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    sent = [("a", b"same"), ("a", b"other"), ("a", b"same"), ("b", b"same"), ("a", b"same")]
    with engine.begin() as conn:
        for n, (topic, payload) in enumerate(sent):
            at = t0 + timedelta(minutes=n)
            conn.execute(
                insert(old).values(
                    received_at=at, topic=topic, kiosk=None, error=f"try {n}", payload=payload
                )
            )
    upgrade(engine)
    try:
        kept = [
            (q.topic, q.payload, q.repeats, q.received_at, q.last_at, q.error)
            for q in Store(engine).quarantined()
        ]
        assert kept == [
            ("a", b"same", 2, t0, t0 + timedelta(minutes=4), "try 4"),
            ("a", b"other", 0, t0 + timedelta(minutes=1), t0 + timedelta(minutes=1), "try 1"),
            ("b", b"same", 0, t0 + timedelta(minutes=3), t0 + timedelta(minutes=3), "try 3"),
        ]
        # and from now on the same message again counts on its row
        Store(engine).quarantine("a", None, "try 5", b"other", t0 + timedelta(minutes=5))
        assert [q.repeats for q in Store(engine).quarantined()] == [2, 1, 0]
    finally:
        engine.dispose()


def test_the_quarantine_migration_folds_repeated_messages(tmp_path: Path) -> None:
    fold_repeats_through_the_migration(f"sqlite:///{tmp_path / 'hub.db'}")


def test_a_database_folded_in_arrival_order_is_re_derived_once_after_the_upgrade(
    tmp_path: Path,
) -> None:
    """Before custody was folded in event order, a return that arrived before its checkout left
    the item out for ever. The upgrade marks the database; the next start re-derives every
    asset from the ledger (audited) and the mark is gone."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    t0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    store = Store.open(url, now=t0)
    store.add_person("ada", "Ada")
    store.add_asset("CAM-1", "Camera", "camera")
    store.add_kiosk("cage-1", "cage-1", t0 - timedelta(days=1))
    feed = KioskFeed(store)
    feed.checkout("CAM-1", "ada", t0)
    feed.give_back("CAM-1", "ada", t0 + timedelta(hours=1))
    with store.engine.begin() as conn:  # what the arrival-order fold left behind
        conn.execute(
            insert(holdings).values(
                asset="CAM-1",
                person="ada",
                since=t0,
                due=t0 + timedelta(days=1),
                kiosk="cage-1",
                event_id=store.ledger_rows()[0].id,
            )
        )
        conn.execute(update(assets).values(status="out"))
        conn.execute(insert(counters).values(name=REDERIVE, value=1))  # as migration 0012 does
    assert [d.what for d in store.verify()] == ["holder", "status"]
    store.close()
    store = Store.open(url, now=t0 + timedelta(days=2))
    try:
        assert store.items_out() == [] and store.verify() == []
        with store.engine.connect() as conn:
            assert conn.scalar(select(counters.c.value).where(counters.c.name == REDERIVE)) is None
            [(actor, detail)] = conn.execute(
                select(audit_log.c.actor, audit_log.c.detail).where(
                    audit_log.c.action == "ledger.rederive"
                )
            ).all()
        assert (actor, detail) == ("hub", "1 asset re-derived from the ledger")
    finally:
        store.close()
