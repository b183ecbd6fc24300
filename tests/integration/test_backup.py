"""``cagekeeper-hub backup`` of a hub that is committing events, and ``restore`` of it into a new
database, on the real parts: the project's Mosquitto configuration, ``cagekeeper-hub serve`` as an
OS process, eight kiosks publishing signed events during the backup, SQLite files and a
PostgreSQL cluster made with initdb (pg_dump and pg_restore).

A restored database holds every event the hub acknowledged before the backup began, and of the
events committed while it ran, whole ones only: each restored row is the exact bytes its kiosk
signed, and replaying the ledger gives the custody stored beside it (no half-written batch).
"""

from __future__ import annotations

import random
import secrets
import sqlite3
import stat
import subprocess
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select

from hub.config import load_config
from hub.localbroker import LocalBroker
from hub.store import Store
from hub.store.backup import to_keep
from hub.store.configured import open_store
from hub.store.schema import ledger
from tests.fleet import Fleet
from tests.fleet_history import KIOSKS, fleet_history, register
from tests.hub_processes import ROOT, HubProcess, hub_command
from tests.hub_processes import write_hub_config as hub_config
from wire import KioskState

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
ACKS_WITHIN = 60.0


@pytest.fixture(autouse=True)
def this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands and hubs started as processes run the code under test."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*hub_command(), "-c", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The hub's database and a fresh, empty one to restore into (a new data folder for SQLite,
    a newly created database on PostgreSQL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub' / 'hub.db'}", f"sqlite:///{tmp_path / 'new' / 'hub.db'}"
        return
    host, port = request.getfixturevalue("pg_server")
    names = ("backup_source", "backup_restored")
    with psycopg.connect(
        host=host, port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@{host}:{port}/"
    yield url + names[0], url + names[1]


class Site:
    """A broker, the hub's database with the registry, a hub process and eight kiosks."""

    def __init__(self, folder: Path, url: str) -> None:
        self.folder = folder
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.hub_password = secrets.token_urlsafe(16)
        self.passwords = {k: secrets.token_urlsafe(16) for k in KIOSKS}
        self.stack = ExitStack()
        self.broker = LocalBroker(folder / "broker", {"hub": self.hub_password, **self.passwords})
        if url.startswith("sqlite"):
            (folder / "hub").mkdir()
        self.config = self.config_for("hub", url)
        store = open_store(load_config(self.config))
        try:
            self.keys = register(store, self.now - timedelta(days=30))
        finally:
            store.close()
        self.broker.start()
        self.stack.callback(self.broker.stop)
        self.fleet = Fleet(self.broker.port, self.keys, self.passwords)
        self.stack.callback(self.fleet.close)
        self.hub = HubProcess(self.config, folder / "hub.log")
        self.stack.callback(self.hub.stop)
        self.hub.start()
        self.fleet.wait(
            lambda: self.fleet.count_presence(KioskState.ONLINE) >= 1, 30, "hub online", self.dead
        )

    def config_for(self, name: str, url: str) -> Path:
        return hub_config(self.folder / "conf", name, url, self.broker.port, self.hub_password)

    def dead(self) -> str | None:
        return None if self.hub.alive else f"the hub exited:\n{self.hub.tail()}"


def restored_rows(url: str) -> dict[str, str]:
    store = Store.open(url, upgrade=False)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(
                select(ledger.c.id, ledger.c.payload).where(ledger.c.kiosk.in_(KIOSKS))
            )
            return {str(i): str(p) for i, p in rows}
    finally:
        store.close()


def test_a_backup_taken_while_the_hub_commits_restores_every_acknowledged_event(
    tmp_path: Path, databases: tuple[str, str]
) -> None:
    url, fresh_url = databases
    site = Site(tmp_path, url)
    try:
        fleet = site.fleet
        events = fleet_history(
            random.Random(5), site.now - timedelta(days=4), site.now - timedelta(minutes=5)
        )
        random.Random(6).shuffle(events)
        before, during = events[: len(events) // 2], events[len(events) // 2 :]
        fleet.send(before)
        fleet.wait_settled([e.id for e in before], ACKS_WITHIN, site.dead)

        # the kiosks go on sending, a few events at a time, for as long as the backup runs
        backup_done = threading.Event()
        acked_meanwhile: list[int] = []

        def keep_sending() -> None:
            settled_at_start = sum(1 for e in during if fleet.settled(e.id))
            for n in range(0, len(during), 8):
                if backup_done.is_set():
                    break
                chunk = during[n : n + 8]
                fleet.send(chunk)
                fleet.wait_settled([e.id for e in chunk], ACKS_WITHIN, site.dead)
            acked_meanwhile.append(sum(1 for e in during if fleet.settled(e.id)) - settled_at_start)

        sender = threading.Thread(target=keep_sending)
        sender.start()
        fleet.wait(lambda: any(fleet.settled(e.id) for e in during), 30, "the first acks")
        done = run(site.config, "backup", "--to", str(tmp_path / "backups"))
        backup_done.set()
        sender.join(timeout=ACKS_WITHIN)
        assert done.returncode == 0, done.stdout + done.stderr
        assert acked_meanwhile and acked_meanwhile[0] > 0, "no event was committed meanwhile"
        fleet.send(during)  # the hub took the rest while the restore runs
        fleet.wait_settled([e.id for e in during], ACKS_WITHIN, site.dead)

        [made] = list((tmp_path / "backups").iterdir())
        assert stat.S_IMODE(made.stat().st_mode) == 0o600  # it holds the kiosks' keys
        assert f"backup written to {made}" in done.stdout

        fresh = site.config_for("restored", fresh_url)
        restored = run(fresh, "restore", str(made))
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "the stored custody matches the ledger" in restored.stdout

        rows = restored_rows(fresh_url)
        assert {e.id for e in before} <= rows.keys()  # every event acknowledged before it began
        assert rows.keys() <= {e.id for e in events}
        for event_id, payload in rows.items():  # whole events: the bytes the kiosk signed
            assert payload.encode() == fleet.payloads[event_id]
    finally:
        site.stack.close()


def test_restore_refuses_a_database_that_holds_data_unless_forced(tmp_path: Path) -> None:
    config = hub_config(tmp_path / "conf", "hub", f"sqlite:///{tmp_path / 'hub.db'}", 1883, "pw")
    assert run(config, "person", "add", "ada", "Ada").returncode == 0
    made = run(config, "backup", "--to", str(tmp_path / "b"))
    assert made.returncode == 0, made.stderr
    [backup] = list((tmp_path / "b").iterdir())
    assert run(config, "person", "add", "grace", "Grace").returncode == 0

    refused = run(config, "restore", str(backup))
    assert refused.returncode == 2
    assert "already holds a database" in refused.stderr and "--force" in refused.stderr
    assert "grace" in run(config, "person", "export").stdout  # nothing changed

    forced = run(config, "restore", "--force", str(backup))
    assert forced.returncode == 0, forced.stderr
    listed = run(config, "person", "export").stdout
    assert "ada" in listed and "grace" not in listed


def test_a_file_that_is_not_a_backup_is_refused_and_nothing_is_made(tmp_path: Path) -> None:
    target = tmp_path / "new" / "hub.db"
    config = hub_config(tmp_path / "conf", "hub", f"sqlite:///{target}", 1883, "pw")
    junk = tmp_path / "hub-20260101T000000Z.sqlite3"
    junk.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    refused = run(config, "restore", str(junk))
    assert refused.returncode == 2
    assert "not a SQLite backup" in refused.stderr or "holds no tables" in refused.stderr
    assert not target.exists()


def test_a_failed_backup_leaves_no_file(tmp_path: Path) -> None:
    config = hub_config(tmp_path / "conf", "hub", f"sqlite:///{tmp_path / 'gone.db'}", 1883, "pw")
    failed = run(config, "backup", "--to", str(tmp_path / "b"))
    assert failed.returncode == 2
    assert "no database at" in failed.stderr
    assert list((tmp_path / "b").iterdir()) == []


def test_the_backup_is_one_self_contained_file(tmp_path: Path) -> None:
    config = hub_config(tmp_path / "conf", "hub", f"sqlite:///{tmp_path / 'hub.db'}", 1883, "pw")
    assert run(config, "person", "add", "ada", "Ada").returncode == 0
    assert run(config, "backup", "--to", str(tmp_path / "b")).returncode == 0
    [backup] = list((tmp_path / "b").iterdir())  # no -wal or -shm beside it
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT name FROM people").fetchall() == [("Ada",)]


def names(*stamps: str) -> list[str]:
    return [f"hub-{s}.sqlite3" for s in stamps]


def test_retention_keeps_the_newest_of_each_latest_day_and_week() -> None:
    made = names(
        "20261130T020000Z",  # Monday
        "20261129T230000Z",  # Sunday, the newest of its day and of its week
        "20261129T020000Z",
        "20261128T020000Z",
        "20261122T020000Z",  # the Sunday before
        "20261115T020000Z",
        "20261101T020000Z",
    )
    # days: the 30th and the 29th (its 23:00 one); ISO weeks: 49, 48 and 47 (the 22nd)
    assert to_keep([*made, "notes.txt"], daily=2, weekly=3) == set(
        names("20261130T020000Z", "20261129T230000Z", "20261122T020000Z")
    )
    assert to_keep(made, daily=0, weekly=4) == set(
        names("20261130T020000Z", "20261129T230000Z", "20261122T020000Z", "20261115T020000Z")
    )
    assert to_keep(made, daily=0, weekly=0) == set(names("20261130T020000Z"))


def test_retention_runs_after_each_backup_and_touches_only_backups(tmp_path: Path) -> None:
    config = hub_config(tmp_path / "conf", "hub", f"sqlite:///{tmp_path / 'hub.db'}", 1883, "pw")
    assert run(config, "migrate").returncode == 0
    folder = tmp_path / "b"
    folder.mkdir()
    old = names("20200101T000000Z", "20200102T000000Z")
    for name in [*old, "keep-me.txt"]:
        (folder / name).write_text("x")
    done = run(config, "backup", "--to", str(folder), "--keep-daily", "2", "--keep-weekly", "0")
    assert done.returncode == 0, done.stderr
    left = sorted(p.name for p in folder.iterdir())
    assert "keep-me.txt" in left and old[1] in left and old[0] not in left
    assert len(left) == 3
