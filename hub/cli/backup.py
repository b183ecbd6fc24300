"""``backup`` and ``restore``: the database copied out while the hub runs, and back in."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hub.cli.context import Ctx, now_utc, pass_ctx
from hub.cli.files import replacing
from hub.store.backup import (
    BackupError,
    backend,
    backup_name,
    copy_sqlite,
    dump_postgresql,
    inspect_restored,
    prune,
    restore_postgresql,
    restore_sqlite,
    sqlite_file,
)
from hub.store.configured import open_store

DEFAULT_FOLDER = Path("/var/lib/cagekeeper-hub/backups")


@click.command()
@click.option(
    "--to",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_FOLDER,
    show_default=True,
    help="Folder the backup goes in (made if missing).",
)
@click.option(
    "--keep-daily",
    type=click.IntRange(min=0),
    default=7,
    show_default=True,
    help="Keep the newest backup of each of this many latest days.",
)
@click.option(
    "--keep-weekly",
    type=click.IntRange(min=0),
    default=4,
    show_default=True,
    help="Keep the newest backup of each of this many latest weeks.",
)
@pass_ctx
def backup(ctx: Ctx, folder: Path, keep_daily: int, keep_weekly: int) -> None:
    """Copy the database, as it is at this moment, to FOLDER/hub-<UTC time>.sqlite3 (or
    .pgdump); the hub may keep running. Then delete older backups the retention policy does
    not keep (only files named as backups are). The file is readable by its owner only: it
    holds the kiosks' signing keys."""
    url = ctx.config.hub.database
    kind = backend(url)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / backup_name(now_utc(), url)
    with replacing(target, mode=0o600) as temp:
        if kind == "sqlite":
            # into the empty file made for it: it keeps its mode (SQLite would make 0644)
            copy_sqlite(sqlite_file(url), temp, ctx.busy_timeout)
        else:
            dump_postgresql(url, temp)
    click.echo(f"backup written to {target} ({target.stat().st_size} bytes)")
    for gone in prune(folder, keep_daily, keep_weekly):
        click.echo(f"deleted {gone} (retention: {keep_daily} daily, {keep_weekly} weekly)")


@click.command()
@click.argument("backup_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--force",
    is_flag=True,
    help="Replace a database that already holds tables (stop the hub first).",
)
@pass_ctx
def restore(ctx: Ctx, backup_file: Path, force: bool) -> None:
    """Put BACKUP_FILE into the configured database, which must be new or empty (a fresh SQLite
    path or data folder, a newly created PostgreSQL database) unless --force. Then bring its
    schema to the newest migration, read the whole ledger back and replay it against the
    stored custody (as `verify` does); exit status 1 when they differ."""
    url = ctx.config.hub.database
    if backend(url) == "sqlite":
        restore_sqlite(backup_file, sqlite_file(url), force, ctx.busy_timeout)
    else:
        restore_postgresql(backup_file, url, force)
    click.echo(f"restored {backup_file}")
    store = open_store(ctx.config)  # migrates, as the hub does at its start
    try:
        found = inspect_restored(store.engine)
        if found.revision != found.head:
            raise BackupError(f"schema at {found.revision}, not at the newest {found.head}")
        differences = store.verify(now_utc())
    finally:
        store.close()
    newest = f", the newest at {found.newest:%Y-%m-%d %H:%M:%S}" if found.newest else ""
    click.echo(f"schema at {found.revision} (newest); {found.events} ledger events read{newest}")
    for difference in differences:
        click.echo(str(difference))
    if differences:
        click.echo(f"{len(differences)} differences between the ledger and the stored custody")
        sys.exit(1)
    click.echo("the stored custody matches the ledger")


COMMANDS = (backup, restore)
