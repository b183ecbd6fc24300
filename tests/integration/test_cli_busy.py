"""A CLI command waits for a SQLite database another connection is writing to (the hub
committing, another command), instead of failing with "database is locked"; and a command that
does fail leaves no output file behind, not even an empty one.

The command runs as its own process, as an operator runs it; the test holds the write lock in a
connection of its own and lets go once it has seen the command waiting in SQLite's busy handler
(the process asleep with the database open).
"""

from __future__ import annotations

import os
import platform
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from hub.store import Store
from tests.hub_processes import ROOT, hub_command
from tests.waiting import wait_until

# nanosleep and clock_nanosleep, how SQLite's busy handler sleeps between tries
SLEEPS = {"x86_64": {35, 230}, "aarch64": {101, 115}}.get(platform.machine(), set())


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the command runs the code under test
    (tmp_path / "hub-pw").write_text("hub-password")
    (tmp_path / "secret").write_text("s" * 40)
    path = tmp_path / "hub.toml"
    path.write_text(
        f'[hub]\ndatabase = "sqlite:///{tmp_path / "hub.db"}"\n'
        f'[broker]\nhost = "127.0.0.1"\npassword_file = "{tmp_path / "hub-pw"}"\n'
        f'[web]\nsecret_key_file = "{tmp_path / "secret"}"\n'
    )
    made = subprocess.run([*hub_command(), "-c", str(path), "migrate"], capture_output=True)
    assert made.returncode == 0, made.stderr
    return path


@contextmanager
def write_lock(db: Path) -> Iterator[sqlite3.Connection]:
    """Another writer in the middle of a transaction (as the hub committing a batch)."""
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO counters (name, value) VALUES ('held', 1)")
        yield conn


def start(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*hub_command(), "-c", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def waiting_for_the_lock(pid: int, db: Path) -> bool:
    """Whether the process has the database open and is asleep in a sleep call: SQLite's busy
    handler between two tries of the lock."""
    try:
        fds = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        call = Path(f"/proc/{pid}/syscall").read_text().split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return str(db) in fds and call.isdigit() and int(call) in SLEEPS


def kiosk_registered(db: Path, kiosk: str) -> bool:
    store = Store.open(f"sqlite:///{db}", upgrade=False)
    try:
        return store.kiosk_key(kiosk) is not None
    finally:
        store.close()


@pytest.mark.skipif(not SLEEPS, reason="which system calls sleep is known for x86-64 and arm64")
def test_a_command_waits_for_another_writer_and_then_succeeds(config: Path, tmp_path: Path) -> None:
    db, out = tmp_path / "hub.db", tmp_path / "cage-9.toml"
    with write_lock(db) as other:
        command = start(config, "kiosk", "add", "cage-9", "--write-config", str(out))
        try:
            wait_until(lambda: waiting_for_the_lock(command.pid, db), "the command waiting", 30)
        except TimeoutError:
            command.kill()
            raise AssertionError(f"the command did not wait: {command.communicate()}") from None
        assert command.poll() is None and not out.exists()
        other.execute("COMMIT")  # the other writer is done
    stdout, stderr = command.communicate(timeout=60)
    assert command.returncode == 0, stderr
    assert f"kiosk config written to {out}" in stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert 'id = "cage-9"' in out.read_text()
    assert kiosk_registered(db, "cage-9")


def test_a_command_that_gives_up_says_why_and_leaves_no_file(config: Path, tmp_path: Path) -> None:
    db, out = tmp_path / "hub.db", tmp_path / "cage-9.toml"
    with write_lock(db) as other:
        command = start(
            config, "--busy-timeout", "0.2", "kiosk", "add", "cage-9", "--write-config", str(out)
        )
        _stdout, stderr = command.communicate(timeout=60)
        other.execute("ROLLBACK")
    assert command.returncode == 2
    assert "database is locked" in stderr and "--busy-timeout" in stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert not kiosk_registered(db, "cage-9")


def test_the_wait_comes_from_the_environment_too(config: Path, tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    env = {**os.environ, "CAGEKEEPER_BUSY_TIMEOUT": "0"}
    with write_lock(db) as other:
        done = subprocess.run(
            [*hub_command(), "-c", str(config), "person", "add", "ada", "Ada"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        other.execute("ROLLBACK")
    assert done.returncode == 2 and "database is locked" in done.stderr


def test_an_export_that_fails_leaves_the_previous_file_whole(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "assets.csv"
    out.write_text("the export from yesterday\n")
    with write_lock(tmp_path / "hub.db"):  # a read needs no lock: this export succeeds
        done = subprocess.run(
            [*hub_command(), "-c", str(config), "asset", "export", "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8-sig").startswith("code,")
    # a label sheet for an asset that does not exist: refused, the old file untouched
    labels = tmp_path / "labels.pdf"
    labels.write_bytes(b"%PDF old sheet")
    refused = subprocess.run(
        [*hub_command(), "-c", str(config), "asset", "labels", "NOPE", "-o", str(labels)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and labels.read_bytes() == b"%PDF old sheet"


def test_a_kiosk_config_that_cannot_be_written_registers_nothing(
    config: Path, tmp_path: Path
) -> None:
    db, out = tmp_path / "hub.db", tmp_path / "no-such-folder" / "cage-9.toml"
    done = subprocess.run(
        [*hub_command(), "-c", str(config), "kiosk", "add", "cage-9", "--write-config", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "no folder" in done.stderr
    assert not kiosk_registered(db, "cage-9")  # so the same command works once the path is right


def test_an_export_to_a_folder_that_is_not_there_is_one_clear_error(
    config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "gone" / "people.csv"
    done = subprocess.run(
        [*hub_command(), "-c", str(config), "person", "export", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"Could not open file '{out}'" in done.stderr
