"""What every command shares: the configuration and store of one run, the clock, and the one
audit entry a command that changed something leaves."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import click

from hub.config import HubConfig, load_config
from hub.store import Store
from hub.store.base import wait_when_busy
from hub.store.configured import open_store

T = TypeVar("T")

# commands that only read: nothing for the audit log
READ_ONLY = frozenset({"export", "list", "report", "valuation", "labels", "quarantine", "verify"})


def now_utc() -> datetime:
    return datetime.now(UTC)


def actor() -> str:
    """Who the audit log names for a shell command."""
    return f"cli:{os.environ.get('SUDO_USER') or os.environ.get('USER') or 'root'}"


class Ctx:
    """One run of the command line: its configuration, read when first needed."""

    def __init__(self, config_path: Path, busy_timeout: float = 30.0) -> None:
        self.config_path = config_path
        self.busy_timeout = busy_timeout
        self._config: HubConfig | None = None
        # set by a command that turned out to store nothing (a dry run, a refused file)
        self.changed_nothing = False

    @property
    def config(self) -> HubConfig:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def store(self) -> Store:
        store = open_store(self.config)
        wait_when_busy(store.engine, self.busy_timeout)
        return store

    @contextmanager
    def opened(self) -> Iterator[Store]:
        """The store for one command; a command that changed something is audited once: by
        the store when it records the change itself, else here."""
        store = self.store()
        self.changed_nothing = False
        try:
            mark = store.audit_mark()
            yield store
            if not self.changed_nothing and not store.audited_since(mark, actor()):
                _audit_command(store)
        finally:
            store.close()

    def change(self, operation: Callable[[Store, datetime, str], T]) -> T:
        """Run one store operation that is told the time and who does it (this shell's user)."""
        with self.opened() as store:
            return operation(store, now_utc(), actor())


pass_ctx = click.make_pass_decorator(Ctx)


def _audit_command(store: Store) -> None:
    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.info_name in READ_ONLY:
        return
    action = "cli." + ".".join(ctx.command_path.split()[1:])
    detail = " ".join(f"{k}={v}" for k, v in sorted(ctx.params.items()) if v not in (None, ()))
    store.audit(now_utc(), actor(), action, None, detail)
