"""The benchmarks' large hub (bench.synthetic) is one the hub itself made: replaying its
ledger gives exactly the database generated, with the sizes asked for."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.synthetic import NOW, Sizes, build
from hub.store.schema import holdings, late_returns, ledger

SMALL = Sizes(assets=300, events=3_000, people=60, kiosks=3, out=40, overdue=12)


def test_the_generated_hub_is_what_replaying_its_ledger_gives(tmp_path: Path) -> None:
    store, built = build(tmp_path / "hub.db", SMALL)
    try:
        assert store.verify(NOW) == []
        assert store.verify(NOW + timedelta(days=30)) == []  # bans as they lapse, too
        assert built.rows["assets"] == SMALL.assets
        assert built.rows["people"] == SMALL.people
        with store.engine.connect() as conn:
            custody = ledger.c.type.in_(["checkout", "return"])
            assert conn.scalar(select(func.count()).where(custody)) == SMALL.events
            out = conn.scalar(select(func.count()).select_from(holdings))
            late = conn.scalar(select(func.count()).where(holdings.c.due < NOW))
            struck = conn.scalar(select(func.count()).select_from(late_returns))
        assert (out, late) == (SMALL.out, SMALL.overdue)
        assert struck  # some came back late, as in a real year
        assert built.rows["alerts"] >= SMALL.overdue  # the sweeper saw every overdue loan
    finally:
        store.close()


def test_the_same_seed_makes_the_same_hub(tmp_path: Path) -> None:
    first, _ = build(tmp_path / "a.db", SMALL, seed=7)
    second, _ = build(tmp_path / "b.db", SMALL, seed=7)
    try:
        for store in (first, second):
            assert store.verify(NOW) == []
        with first.engine.connect() as a, second.engine.connect() as b:
            query = select(holdings).order_by(holdings.c.asset)
            assert a.execute(query).all() == b.execute(query).all()
    finally:
        first.close()
        second.close()


def test_sizes_that_cannot_be_made_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="overdue <= out"):
        build(tmp_path / "hub.db", Sizes(assets=10, events=100, out=20, overdue=5))
    assert not (tmp_path / "hub.db").exists()
