"""Ingest commits leave the copy of SQLite's log into the database file to a thread of the
hub's own: a commit that also checkpoints waits for every page it copies to reach the disk,
and that cost grows with the ledger (the kiosks see it as ack latency)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bench.commit import START, registry, traffic
from hub.store import Store


def test_commits_leave_the_log_to_the_checkpoint_which_copies_all_of_it(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    store = Store.open(f"sqlite:///{db}")
    try:
        registry(store, 20, 200)
        store.checkpoint()
        before = db.stat().st_size
        events = traffic(20, 200)  # 4,000 checkouts and returns, well past SQLite's 1,000 pages
        now = START + timedelta(days=30)
        for i in range(0, len(events), 500):
            store.commit_events([(e, "{}") for e in events[i : i + 500]], now)
        assert db.stat().st_size == before  # all of it still in the log: no commit copied it
        logged, copied = store.checkpoint()
        assert logged > 1000 and copied == logged
        assert db.stat().st_size > before
        # and what was copied reads back whole from the database file
        assert store.verify(now) == []
    finally:
        store.close()


def test_postgresql_has_nothing_to_checkpoint(pg_url: str) -> None:
    store = Store.open(pg_url)
    try:
        assert store.checkpoint() == (0, 0)
    finally:
        store.close()
