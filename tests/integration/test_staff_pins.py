"""Staff door PINs at the hub: a manager sets and clears them from the shell, only the hash is
kept, and it reaches kiosks (staff only) through the replica kept from changes, on SQLite and
on PostgreSQL, with migration 0016 keeping 0013's change-log triggers working."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import create_engine, delete, insert, inspect, select, text, update

from hub.cli import cli
from hub.replica import build_snapshot
from hub.replica_feed import ReplicaFeed
from hub.store import Store
from hub.store.migrate import alembic_config
from hub.store.schema import people
from tests.integration.test_cli import _hub_config
from wire import ReplicaDelta, ReplicaSnapshot, Topics
from wire.pins import hash_pin, verify_pin

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TOPICS = Topics("cagekeeper")


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    path = _hub_config(tmp_path)
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    store.add_person("sam", "Sam Staff", ["0A0B0C0D"], staff=True)
    store.add_person("ada", "Ada Lovelace", ["04A1B2C3"])
    store.close()
    yield path


def _pin_hash(db: Path, person: str) -> str | None:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        found = conn.scalar(select(people.c.pin_hash).where(people.c.id == person))
    engine.dispose()
    return found


def _hub(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The installed command as an operator runs it (errors as the shell sees them)."""
    return subprocess.run(
        [sys.executable, "-c", "from hub.cli import main; main()", "-c", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_manager_sets_and_clears_a_staff_pin(config: Path, tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    runner = CliRunner()
    done = runner.invoke(
        cli, ["-c", str(config), "person", "pin", "set", "sam", "--pin-stdin"], input="2468\n"
    )
    assert done.exit_code == 0, done.output
    assert "PIN set for sam" in done.output and "2468" not in done.output
    stored = _pin_hash(db, "sam")
    assert stored is not None and stored.startswith("$scrypt$") and "2468" not in stored
    assert verify_pin(stored, "2468") and not verify_pin(stored, "2469")

    store = Store.open(f"sqlite:///{db}")
    try:
        snap = build_snapshot(store.replica_rows(T0), 1, T0)
        pins = {p.id: p.pin for p in snap.people}
        assert pins == {"sam": stored, "ada": None}
        entries = store.audit_entries()
        assert [e.action for e in entries].count("person.pin.set") == 1  # once, not twice
        assert "cli.person.pin.set" not in {e.action for e in entries}
        assert not any("2468" in (e.detail or "") for e in entries)  # the PIN is nowhere
    finally:
        store.close()

    # typed at the terminal (hidden, twice) works the same; the new PIN replaces the old
    done = runner.invoke(
        cli, ["-c", str(config), "person", "pin", "set", "sam"], input="97531\n97531\n"
    )
    assert done.exit_code == 0, done.output
    changed = _pin_hash(db, "sam")
    assert changed is not None and verify_pin(changed, "97531") and not verify_pin(changed, "2468")

    cleared = runner.invoke(cli, ["-c", str(config), "person", "pin", "clear", "sam"])
    assert cleared.exit_code == 0 and "PIN cleared for sam" in cleared.output
    assert _pin_hash(db, "sam") is None
    again = runner.invoke(cli, ["-c", str(config), "person", "pin", "clear", "sam"])
    assert again.exit_code == 0 and "sam had no PIN" in again.output


@pytest.mark.parametrize(
    ("args", "stdin", "said"),
    [
        (["sam"], "12a4\n", "4 to 8 digits"),
        (["sam"], "123\n", "4 to 8 digits"),
        (["sam"], "123456789\n", "4 to 8 digits"),
        (["sam"], "\n", "4 to 8 digits"),
        (["ada"], "2468\n", "ada is not staff"),
        (["nobody"], "2468\n", "no person 'nobody'"),
    ],
)
def test_a_bad_pin_or_person_is_a_clear_error_and_nothing_is_stored(
    config: Path, tmp_path: Path, args: list[str], stdin: str, said: str
) -> None:
    done = _hub(config, "person", "pin", "set", *args, "--pin-stdin", stdin=stdin)
    assert done.returncode == 2, done.stdout + done.stderr
    assert said in done.stderr and "Traceback" not in done.stderr
    assert _pin_hash(tmp_path / "hub.db", "sam") is None
    assert _pin_hash(tmp_path / "hub.db", "ada") is None


def test_clearing_an_unknown_persons_pin_is_a_clear_error(config: Path) -> None:
    done = _hub(config, "person", "pin", "clear", "nobody")
    assert done.returncode == 2 and "no person 'nobody'" in done.stderr


def test_a_malformed_hash_is_refused_by_the_store(config: Path, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        with pytest.raises(ValueError, match="not a PIN hash"):
            store.set_pin("sam", "2468", T0, "test")
        assert not store.has_pin("sam")
    finally:
        store.close()


class Kiosk:
    """What a kiosk holds, made only from what the feed published."""

    def __init__(self) -> None:
        self.replica: ReplicaSnapshot | None = None
        self.deltas: list[ReplicaDelta] = []

    def take(self, topic: str, payload: str, retain: bool) -> bool:
        from wire.replica_delta import apply_delta

        if topic == TOPICS.replica_snapshot():
            self.replica = ReplicaSnapshot.model_validate_json(payload)
        else:
            delta = ReplicaDelta.model_validate_json(payload)
            self.deltas.append(delta)
            assert self.replica is not None
            self.replica = apply_delta(self.replica, delta)
        return True

    def pin(self, person: str) -> str | None:
        assert self.replica is not None
        return next(p.pin for p in self.replica.people if p.id == person)


def _pins_reach_kiosks_as_deltas(url: str) -> None:
    hub = Store.open(url)
    manager = Store.open(url)  # another process: the shell
    try:
        hub.add_person("sam", "Sam Staff", ["0A0B0C0D"], staff=True)
        hub.add_person("ada", "Ada Lovelace", ["04A1B2C3"])
        for n in range(8):  # enough people that one changed goes out as a delta
            hub.add_person(f"p{n}", f"Person {n}", [f"0C0C0C{n:02X}"])
        kiosk = Kiosk()
        feed = ReplicaFeed(hub, kiosk.take, TOPICS, None, 3600)
        feed.step(T0)
        assert kiosk.pin("sam") is None

        secret = hash_pin("2468", log2_n=4)
        manager.set_pin("sam", secret, T0, "test")
        feed.step(T0)
        assert kiosk.deltas and [p.id for p in kiosk.deltas[-1].people] == ["sam"]
        assert kiosk.pin("sam") == secret

        # no longer staff: the hash stays at the hub but no kiosk gets it
        with manager.engine.begin() as conn:
            conn.execute(update(people).where(people.c.id == "sam").values(staff=False))
        feed.step(T0)
        assert kiosk.pin("sam") is None
        with manager.engine.begin() as conn:
            conn.execute(update(people).where(people.c.id == "sam").values(staff=True))
        feed.step(T0)
        assert kiosk.pin("sam") == secret

        assert manager.clear_pin("sam", T0, "test")
        feed.step(T0)
        assert kiosk.pin("sam") is None
        with pytest.raises(ValueError, match="not staff"):
            manager.set_pin("ada", secret, T0, "test")

        # the other triggers of people still log: a new person, a renamed one, one removed
        with manager.engine.begin() as conn:
            conn.execute(insert(people).values(id="kim", name="Kim", active=True, staff=True))
            conn.execute(update(people).where(people.c.id == "ada").values(name="Ada L."))
        feed.step(T0)
        assert kiosk.replica is not None
        names = {p.id: p.name for p in kiosk.replica.people}
        assert names["kim"] == "Kim" and names["ada"] == "Ada L."
        with manager.engine.begin() as conn:
            conn.execute(delete(people).where(people.c.id == "kim"))
        feed.step(T0)
        assert "kim" not in {p.id for p in kiosk.replica.people}
        whole = build_snapshot(hub.replica_rows(T0), 0, T0)
        assert kiosk.replica.model_copy(update={"version": 0, "at": T0}) == whole
    finally:
        manager.close()
        hub.close()


def test_a_pin_reaches_kiosks_as_a_delta_on_sqlite(tmp_path: Path) -> None:
    _pins_reach_kiosks_as_deltas(f"sqlite:///{tmp_path / 'hub.db'}")


def test_a_pin_reaches_kiosks_as_a_delta_on_postgresql(pg_url: str) -> None:
    _pins_reach_kiosks_as_deltas(pg_url)


def _down_and_up(url: str) -> None:
    """0016 down to 0013 and up again: the column goes and comes back, and people's three
    change-log triggers are there, watching the right columns, each way."""
    engine = create_engine(url)
    cfg = alembic_config(engine)
    postgresql = engine.dialect.name == "postgresql"

    def columns() -> set[str]:
        return {c["name"] for c in inspect(engine).get_columns("people")}

    def logged_after(change: str) -> int:
        with engine.begin() as conn:
            before = conn.scalar(text("SELECT count(*) FROM replica_changes WHERE key = 'sam'"))
            conn.execute(text(change))
            after = conn.scalar(text("SELECT count(*) FROM replica_changes WHERE key = 'sam'"))
        return int(after) - int(before)

    def upgrade_to(revision: str, down: bool = False) -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, revision)

    upgrade_to("head")
    with engine.begin() as conn:
        conn.execute(insert(people).values(id="sam", name="Sam", active=True, staff=True))
    assert "pin_hash" in columns()
    assert logged_after("UPDATE people SET pin_hash = 'x' WHERE id = 'sam'") == 1
    upgrade_to("0013", down=True)
    assert "pin_hash" not in columns()
    assert logged_after("UPDATE people SET name = 'Samuel' WHERE id = 'sam'") == 1
    if not postgresql:
        with engine.connect() as conn:
            triggers = set(
                conn.scalars(
                    text(
                        "SELECT name FROM sqlite_master"
                        " WHERE type = 'trigger' AND tbl_name = 'people'"
                    )
                )
            )
        assert triggers == {f"replica_people_{w}" for w in ("insert", "update", "delete")}
    upgrade_to("head")
    assert logged_after("UPDATE people SET pin_hash = 'y' WHERE id = 'sam'") == 1
    assert logged_after("UPDATE people SET email = 'sam@example.org' WHERE id = 'sam'") == 0
    assert logged_after("DELETE FROM people WHERE id = 'sam'") == 1
    engine.dispose()


def test_the_migration_keeps_the_change_log_on_sqlite(tmp_path: Path) -> None:
    _down_and_up(f"sqlite:///{tmp_path / 'hub.db'}")


def test_the_migration_keeps_the_change_log_on_postgresql(pg_url: str) -> None:
    _down_and_up(pg_url)
