"""Copying the hub's database out to a backup file and back in, and which backups to keep.

SQLite is copied with its online backup API: one read transaction, so the copy is the database
as it was at one moment (every commit before it, none after, nothing half written) while the hub
goes on committing. PostgreSQL is dumped with ``pg_dump`` (custom format), which reads one
snapshot too, and restored with ``pg_restore`` in a single transaction.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Engine, create_engine, func, inspect, make_url, select

from hub.errors import HubError
from hub.store.migrate import alembic_config
from hub.store.schema import ledger

NAME = re.compile(r"^hub-(\d{8}T\d{6}Z)\.(sqlite3|pgdump)$")
STAMP = "%Y%m%dT%H%M%SZ"


class BackupError(HubError):
    """A backup or restore that cannot be done; nothing was changed."""


def backend(url: str) -> str:
    """ "sqlite" or "postgresql": the two databases a hub runs on."""
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"no backup for a {name} database")
    return name


def backup_name(at: datetime, url: str) -> str:
    suffix = "sqlite3" if backend(url) == "sqlite" else "pgdump"
    return f"hub-{at.astimezone(UTC):{STAMP}}.{suffix}"


def sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"not a SQLite file the hub keeps: {url}")
    return Path(database)


# SQLite ----------------------------------------------------------------------------------------


def _read_only(path: Path) -> str:
    return path.absolute().as_uri() + "?mode=ro"


def _tables(conn: sqlite3.Connection) -> int:
    return int(
        conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    )


def _checked(conn: sqlite3.Connection, what: str) -> None:
    result = conn.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{what} fails SQLite's check: {result}")


def copy_sqlite(source: Path, dest: Path, busy_timeout: float) -> None:
    """The database at ``source`` as of one moment, into the new file ``dest`` (self-contained:
    rollback journal, no WAL beside it)."""
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    with (
        closing(sqlite3.connect(source, timeout=busy_timeout)) as src,
        closing(sqlite3.connect(dest)) as dst,
    ):
        src.backup(dst)  # all pages in one step: one read transaction, one moment
        dst.execute("PRAGMA journal_mode=DELETE")
        _checked(dst, "the copy")


def restore_sqlite(backup: Path, target: Path, force: bool, busy_timeout: float) -> None:
    """Copy a backup file into the database file ``target``: a new or empty one, or with
    ``force`` one with tables (the hub stopped). The copy is one transaction on ``target``."""
    with closing(sqlite3.connect(_read_only(backup), uri=True)) as src:
        try:
            _checked(src, str(backup))
            if _tables(src) == 0:
                raise BackupError(f"{backup} holds no tables: not a hub backup")
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{backup} is not a SQLite backup: {exc}") from exc
        existed = target.exists()
        if existed and not force:
            with closing(sqlite3.connect(_read_only(target), uri=True)) as dst:
                count = _tables(dst)
            if count:
                raise BackupError(
                    f"{target} already holds a database ({count} tables): restore into a new "
                    "file, or stop the hub and pass --force to replace it"
                )
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with closing(sqlite3.connect(target, timeout=busy_timeout)) as dst:
                src.backup(dst)
        except BaseException:
            if not existed:
                target.unlink(missing_ok=True)
            raise


# PostgreSQL ------------------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")
    return found


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The libpq form of a SQLAlchemy URL, with its password in the environment (not argv)."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password is not None:
        env["PGPASSWORD"] = str(u.password)
    plain: URL = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(cmd: Sequence[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {' '.join(done.stderr.split())[:800]}")


def dump_postgresql(url: str, dest: Path) -> None:
    dsn, env = _libpq(url)
    _run(
        [
            _pg_tool("pg_dump"),
            "--format=custom",
            "--no-password",
            f"--file={dest}",
            f"--dbname={dsn}",
        ],
        env,
        "pg_dump",
    )


def restore_postgresql(backup: Path, url: str, force: bool) -> None:
    dsn, env = _libpq(url)
    _run([_pg_tool("pg_restore"), "--list", str(backup)], env, f"reading {backup}")
    engine = create_engine(url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables and not force:
        raise BackupError(
            f"the database already holds {len(tables)} tables: restore into a new empty "
            "database, or stop the hubs and pass --force to replace them"
        )
    cmd = [
        _pg_tool("pg_restore"),
        "--no-password",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",  # all of it or, on any error, nothing
        f"--dbname={dsn}",
    ]
    if tables:
        cmd += ["--clean", "--if-exists"]
    _run([*cmd, str(backup)], env, "pg_restore")


# what a restore is checked for -----------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    revision: str | None
    head: str | None
    events: int
    newest: datetime | None


def inspect_restored(engine: Engine) -> Restored:
    """The schema revision against the newest migration, and every ledger row read back (its
    payload parsed), so a restore that "worked" but lost the ledger cannot pass."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    events = 0
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        newest = conn.scalar(select(func.max(ledger.c.at)))
        rows = conn.execution_options(yield_per=2000).execute(select(ledger.c.id, ledger.c.payload))
        for event_id, payload in rows:
            try:
                json.loads(payload)
            except (TypeError, ValueError) as exc:
                raise BackupError(f"ledger event {event_id} cannot be read: {exc}") from exc
            events += 1
    return Restored(revision, head, events, newest)


# retention -------------------------------------------------------------------------------------


def backup_time(name: str) -> datetime | None:
    found = NAME.match(name)
    if found is None:
        return None
    return datetime.strptime(found.group(1), STAMP).replace(tzinfo=UTC)


def to_keep(names: Iterable[str], daily: int, weekly: int) -> set[str]:
    """Which backups a "keep N daily, M weekly" policy keeps: the newest backup of each of the
    ``daily`` latest days that have one, of each of the ``weekly`` latest ISO weeks that have
    one, and always the newest of all. Files not named as this module names backups are not
    considered (and never deleted)."""
    dated = sorted(((t, n) for n in names if (t := backup_time(n)) is not None), reverse=True)
    keep: set[str] = {dated[0][1]} if dated else set()
    days: dict[date, str] = {}
    weeks: dict[tuple[int, int], str] = {}
    for at, name in dated:  # newest first: the first seen of a day or week is its newest
        days.setdefault(at.date(), name)
        iso = at.isocalendar()
        weeks.setdefault((iso.year, iso.week), name)
    keep.update(list(days.values())[:daily])
    keep.update(list(weeks.values())[:weekly])
    return keep


def prune(folder: Path, daily: int, weekly: int) -> list[Path]:
    """Delete the backups in ``folder`` the policy does not keep; returns them."""
    names = [p.name for p in folder.iterdir() if p.is_file()]
    keep = to_keep(names, daily, weekly)
    gone = []
    for name in sorted(names):
        if backup_time(name) is not None and name not in keep:
            (folder / name).unlink()
            gone.append(folder / name)
    return gone
