"""The replica kept from changes on PostgreSQL, where transactions commit in any order: the
same random histories as on SQLite, and a change committed after a later-numbered one."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from hub.replica_feed import ReplicaFeed
from hub.store.schema import people, replica_changes
from tests.integration.test_replica_incremental import (
    RULES,
    TOPICS,
    Kiosk,
    Step,
    play,
    steps,
    world,
)

EXAMPLES = max(1, int(os.environ.get("CAGEKEEPER_EXAMPLES", "25")) // 5)
_numbers = itertools.count()


class Databases:
    """Fresh databases on the session's cluster, one for each generated history."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.made: list[str] = []

    def admin(self, sql: str) -> None:
        with psycopg.connect(
            host=self.host, port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql.encode())

    def make(self) -> str:
        name = f"replica_{os.getpid()}_{next(_numbers)}"
        self.admin(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{name}"


@pytest.fixture
def databases(pg_server: tuple[str, int]) -> Iterator[Databases]:
    found = Databases(*pg_server)
    yield found
    for name in found.made:
        found.admin(f'DROP DATABASE IF EXISTS "{name}"')


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(steps, min_size=10, max_size=40))
def test_the_kept_replica_is_the_replica_rebuilt_whole_on_postgresql(
    databases: Databases, history: list[Step]
) -> None:
    with world(databases.make()) as w:
        play(w, history)
        assert w.feed.rebuilds == 1


def test_a_change_committed_after_a_later_numbered_one_is_not_missed(pg_url: str) -> None:
    """Transaction A logs a change (a smaller id) but commits after B (a larger id) and after
    a publishing round that saw B: the next round still takes A's change."""
    with world(pg_url) as w:
        w.check()
        with w.cli.engine.connect() as slow:
            slow.execute(update(people).where(people.c.id == "ada").values(name="Ada L."))
            w.hub.block_person("bo", w.now + timedelta(hours=1), "late", w.now, "manager")
            w.check()  # sees B's change only: A has not committed
            assert w.kiosk.replica is not None
            names = {p.id: p.name for p in w.kiosk.replica.people}
            assert names["ada"] == "Ada" and any(
                p.blocked_until for p in w.kiosk.replica.people if p.id == "bo"
            )
            slow.commit()
        with w.hub.engine.connect() as conn:
            ids = dict(
                conn.execute(
                    replica_changes.select()
                    .with_only_columns(replica_changes.c.key, replica_changes.c.id)
                    .where(replica_changes.c.key.in_(["ada", "bo"]))
                ).all()
            )
        assert ids["ada"] < ids["bo"]  # A's row was numbered first, and became visible last
        w.check()
        names = {p.id: p.name for p in w.kiosk.replica.people}
        assert names["ada"] == "Ada L."


def test_another_hub_on_the_same_database_keeps_the_same_replica(pg_url: str) -> None:
    with world(pg_url) as w:
        other = Kiosk()
        second = ReplicaFeed(w.cli, other.take, TOPICS, RULES, 3600)
        second.step(w.now)
        w.check()
        for code in ("CAM-00", "LENS-01"):
            w.lenders["cage-1"].checkout(code, "cy", w.now)
        w.cli.add_person("eve", "Eve", ["0D0D0D0D"])
        w.check()
        second.step(w.now)
        assert other.replica is not None and w.kiosk.replica is not None
        assert other.replica.model_copy(update={"version": 0, "at": w.now}) == (
            w.kiosk.replica.model_copy(update={"version": 0, "at": w.now})
        )
