"""What hubs sharing one database recorded: custody, the kiosks' ledger rows and which hub
process inserted each, and the same events folded in event order for comparison."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnClause, column, func, select, text

from hub.config import HubConfig
from hub.store import Store
from hub.store.configured import open_store
from hub.store.schema import assets, holdings, ledger
from tests.fleet_history import KIOSKS, event_order, register
from tests.histories import state
from wire import CustodyEvent


def out_among(store: Store, codes: Iterable[str]) -> list[str]:
    """Which of these assets the store has as "out" or held."""
    wanted = sorted(codes)
    with store.engine.connect() as conn:
        out = set(
            conn.scalars(
                select(assets.c.code).where(assets.c.code.in_(wanted), assets.c.status == "out")
            )
        )
        out |= set(conn.scalars(select(holdings.c.asset).where(holdings.c.asset.in_(wanted))))
    return sorted(out)


def custody(store: Store) -> dict[str, Any]:
    """What ``tests.histories.state`` shows, without alerts: the hubs' sweepers raise them by
    the clock, and the store the same events go to in event order has none (``verify`` checks
    that no alert is open on a loan that has ended)."""
    seen = state(store)
    del seen["open alerts"]
    return seen


def kiosk_ledger_ids(store: Store) -> list[str]:
    """Ids of the kiosks' rows in the ledger (not the hub's own acquisitions), one per row."""
    with store.engine.connect() as conn:
        return list(conn.scalars(select(ledger.c.id).where(ledger.c.kiosk.in_(KIOSKS))))


def tag_ledger_inserts(store: Store) -> None:
    """PostgreSQL: every ledger row inserted from now on names the process that inserted it
    (its connection's application_name), so a test can tell which hub committed what. The hub
    names the columns it inserts, so it never sees this one."""
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "ALTER TABLE ledger ADD COLUMN inserted_by text "
                "DEFAULT current_setting('application_name')"
            )
        )


def ledger_rows_by(store: Store) -> dict[str, int]:
    """Kiosk rows in the ledger per inserting process (see ``tag_ledger_inserts``)."""
    by: ColumnClause[str] = column("inserted_by")
    q = select(by, func.count()).select_from(ledger).where(ledger.c.kiosk.in_(KIOSKS)).group_by(by)
    with store.engine.connect() as conn:
        return {str(who): int(n) for who, n in conn.execute(q)}


def in_event_order(
    config: HubConfig,
    url: str,
    registered: datetime,
    keys: dict[str, bytes],
    events: Sequence[CustodyEvent],
    now: datetime,
) -> Store:
    """A fresh store opened as the hubs open theirs, the same registry, the events committed
    one at a time in event order. The caller closes it."""
    store = open_store(
        config.model_copy(update={"hub": config.hub.model_copy(update={"database": url})})
    )
    register(store, registered, keys)
    for ev in event_order(events):
        store.commit_events([(ev, ev.model_dump_json())], now)
    return store
