"""The hub checks what kiosks decided offline, on SQLite and on PostgreSQL: each checkout in a
committed batch is judged by the rule book as of its own time, a breach is listed once under
"Needs attention", what was restricted after the checkout is not held against it, and the check
costs the same few reads whatever the batch's size. Changes to groups reach the replica's log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from hub.store import Store
from hub.store.replica_changes import ReplicaSource
from tests.events import checkout_event
from wire import CustodyEvent

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def store(hub_url: str) -> Iterator[Store]:
    s = Store.open(hub_url)
    s.add_person("ada", "Ada Lovelace", ["04A1B2C3"])
    s.add_person("bo", "Bo Bennett", ["04A1B2C4"])
    s.add_kiosk("cage-1", "Film cage", T0 - timedelta(days=30))
    s.add_kiosk("desk", "Dashboard desk", T0 - timedelta(days=30))
    for n in range(250):
        s.add_asset(f"CAM-{n:04d}", f"Camera {n}", "camera")
    s.add_asset("LENS-0001", "Zeiss 50mm", "lens")
    yield s
    s.close()


def _commit(store: Store, events: list[CustodyEvent], now: datetime) -> None:
    store.commit_events([(e, e.model_dump_json()) for e in events], now)


def _flagged(store: Store) -> dict[str, str]:
    return {
        a.asset: a.detail for a in store.attention(limit=500).anomalies if a.kind == "rule_breach"
    }


def test_each_rule_is_judged_at_the_checkout_s_own_time(store: Store) -> None:
    # the rules as the hub sets them at T0
    store.set_category_groups("camera", ["FILM101"], T0, "manager")
    store.require_training("lens", "lens-care")
    store.grant_training("bo", "lens-care", T0 + timedelta(hours=2))  # expires at 11:30
    store.set_groups("bo", ["film101"])  # from sign-in
    store.block_person("ada", T0 + timedelta(days=1), "lost a lens", T0, "manager")

    before = T0 - timedelta(hours=1)  # an offline kiosk lent these before any of it was set
    late = T0 + timedelta(hours=3)  # and these after, from its old replica
    _commit(
        store,
        [
            checkout_event("cage-1", 1, before, "CAM-0001", person="ada"),
            checkout_event("cage-1", 2, late, "CAM-0002", person="ada"),
            checkout_event("cage-1", 3, late + timedelta(seconds=1), "CAM-0003", person="bo"),
            checkout_event("cage-1", 4, T0 + timedelta(hours=1), "LENS-0001", person="bo"),
        ],
        late + timedelta(hours=1),
    )
    assert _flagged(store) == {
        "CAM-0002": "ada was lent CAM-0002 at cage-1 on 2026-03-02 12:30 UTC: not in FILM101, "
        "the groups its category is for; while blocked (lost a lens) until 2026-03-03 09:30 UTC",
    }  # CAM-0001 before the rules, bo's camera inside the group, bo's lens while trained

    _commit(store, [checkout_event("cage-1", 5, late, "CAM-0001", person="bo")], late)  # again
    bo_back = checkout_event("cage-1", 6, late + timedelta(minutes=5), "LENS-0001", person="bo")
    desk = checkout_event("desk", 1, late, "CAM-0004", person="ada")  # a manager's override
    resent = checkout_event("cage-1", 2, late, "CAM-0002", person="ada")
    _commit(store, [bo_back, desk], late + timedelta(hours=2))
    _commit(store, [resent], late + timedelta(hours=2))  # a new id for a number it has: refused
    flagged = _flagged(store)
    assert flagged["LENS-0001"] == (
        "bo was lent LENS-0001 at cage-1 on 2026-03-02 12:35 UTC: "
        "with the lens-care training expired on 2026-03-02"
    )
    assert set(flagged) == {"CAM-0002", "LENS-0001"}  # nothing for the desk, nothing twice
    kinds = sorted(a.kind for a in store.attention(limit=500).anomalies)
    assert kinds == ["double_lending", "rule_breach", "rule_breach"]  # bo over ada's CAM-0001


def _statements(store: Store, events: list[CustodyEvent], now: datetime) -> list[str]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        _commit(store, events, now)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    return seen


def test_the_check_costs_the_same_few_reads_for_ten_checkouts_or_two_hundred(
    store: Store,
) -> None:
    store.set_category_groups("camera", ["FILM101"], T0, "manager")
    store.require_training("camera", "cinema-1")
    at = T0 + timedelta(hours=1)

    def batch(first: int, count: int, seq: int) -> list[CustodyEvent]:
        return [
            checkout_event("cage-1", seq + n, at + timedelta(seconds=n), f"CAM-{first + n:04d}")
            for n in range(count)
        ]

    def rule_reads(sql: list[str]) -> int:
        return sum(
            1
            for s in sql
            if s.lstrip().upper().startswith("SELECT")
            and any(f"FROM {t}" in s for t in ("categories", "trainings", "audit_log"))
        )

    small = _statements(store, batch(0, 10, 1), at + timedelta(hours=1))
    large = _statements(store, batch(10, 200, 11), at + timedelta(hours=1))
    assert rule_reads(small) == rule_reads(large) <= 4
    assert len(_flagged(store)) == 210  # every one of them broke both rules
    some = next(iter(_flagged(store).values()))
    assert "without the cinema-1 training; not in FILM101" in some
    quiet = _statements(store, [], at)  # nothing to check, nothing read
    assert rule_reads(quiet) == 0


def test_group_changes_reach_the_replica_s_log(store: Store) -> None:
    source = ReplicaSource(store)
    cursor = source.start()
    store.set_groups("ada", ["FILM101"])
    store.import_groups({"bo": ["PHOTO200"]}, T0, "manager")
    store.set_category_groups("camera", ["FILM101"], T0, "manager")
    changes = source.changes(cursor)
    assert changes is not None
    assert changes.keys["person"] == {"ada", "bo"}
    assert changes.keys["policy"] == {"camera"}
    people = source.people(["ada", "bo"], T0).people
    assert (people["ada"].provider_groups, people["bo"].groups) == ("FILM101", "PHOTO200")
    assert source.categories()[2] == {"camera": ["FILM101"]}
