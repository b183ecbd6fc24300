"""The reports page's loan figures, read from sums kept at commit time, are those the ledger
says, whatever order the events arrive in (hub.store.loan_weeks).

Property test on real SQLite stores: random histories (tests/histories.py), stretched over
weeks, delivered shuffled, some events twice, in batches of any size, with assets moved to
another category (an edit, a CSV import) between batches; then the report from the sums must
equal the report summed from the ledger's events (``report_from_ledger``) for periods on and
off week boundaries, and ``verify`` must find nothing. The same on PostgreSQL with two hub
processes committing at once.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import exists, select, update

from hub.domain.usage import week_start
from hub.store import Store
from hub.store.migrate import alembic_config, upgrade
from hub.store.schema import assets, ledger, loan_weeks
from tests.histories import KIT, LOOSE, T0, deliveries, histories, number, registry
from wire import CustodyEvent, EventType

NOW = T0 + timedelta(days=400)  # the hub's clock: after every stretched history
CATEGORIES = ("camera", "audio", "lens")
MOVABLE = (*LOOSE, KIT)


def stretched(events: list[CustodyEvent], factor: int) -> list[CustodyEvent]:
    """The history with its times ``factor`` times as far from T0 (a few days become
    months), so loans cross week boundaries and periods begin inside them."""

    def far(at: datetime) -> datetime:
        return T0 + (at - T0) * factor

    return [
        e.model_copy(update={"at": far(e.at), "due": far(e.due) if e.due else None}) for e in events
    ]


# (after which batch, by an edit or an import, which asset, to which category)
Move = tuple[int, str, str, str]
moves = st.lists(
    st.tuples(
        st.integers(0, 8),
        st.sampled_from(("edit", "import")),
        st.sampled_from(MOVABLE),
        st.sampled_from(CATEGORIES),
    ),
    max_size=4,
)


def periods(rnd: random.Random) -> list[tuple[datetime, datetime]]:
    """The page's periods (whole weeks, ending after the history or inside it) and periods
    that begin and end inside weeks."""
    monday = week_start(T0)
    found = [
        (monday - timedelta(weeks=1), monday + timedelta(weeks=40)),
        (monday + timedelta(weeks=2), monday + timedelta(weeks=14)),
        (monday + timedelta(weeks=5), monday + timedelta(weeks=6)),
    ]
    for _ in range(3):
        start = T0 + timedelta(minutes=rnd.randrange(0, 200 * 24 * 60))
        found.append((start, start + timedelta(minutes=rnd.randrange(1, 60 * 24 * 60))))
    return found


def deliver(
    store: Store, batches: list[list[CustodyEvent]], moved: list[Move], now: datetime = NOW
) -> None:
    for n, batch in enumerate(batches):
        store.commit_events([(e, e.model_dump_json()) for e in batch], now)
        for _, how, code, category in (m for m in moved if m[0] == n):
            if how == "edit":
                store.update_asset(code, now, "manager", category=category)
            else:
                store.import_assets([{"code": code, "category": category}], now, "manager")


def idle(store: Store, start: datetime, end: datetime) -> list[tuple[str, str, str]]:
    """Items on the shelf or out with no checkout in the period, by category and code."""
    lent = exists().where(
        ledger.c.asset == assets.c.code,
        ledger.c.type == "checkout",
        ledger.c.at >= start,
        ledger.c.at < end,
    )
    with store.engine.connect() as conn:
        return [
            (code, name, category)
            for code, name, category in conn.execute(
                select(assets.c.code, assets.c.name, assets.c.category)
                .where(assets.c.status.in_(("available", "out")), ~lent)
                .order_by(assets.c.category, assets.c.code)
            )
        ]


def assert_same_reports(store: Store, spans: list[tuple[datetime, datetime]]) -> None:
    for start, end in spans:
        got, want = store.report(start, end), store.report_from_ledger(start, end)
        assert got.overdue_rate == want.overdue_rate, (start, end)
        assert got.most_borrowed == want.most_borrowed
        assert got.idle == want.idle == idle(store, start, end)
        assert got.utilization.keys() == want.utilization.keys()
        for category, weeks in want.utilization.items():
            assert got.utilization[category] == pytest.approx(weeks, abs=1e-9), (start, end)


@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="cagekeeper-loans-") as tmp:
        path = Path(tmp) / "template.db"
        store = Store.open(f"sqlite:///{path}")
        registry(store)
        store.close()
        yield path


# 25 histories in the suite; CAGEKEEPER_EXAMPLES=1000 for a long hunt
@settings(
    max_examples=int(os.environ.get("CAGEKEEPER_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    histories(),
    st.sampled_from((1, 20, 60)),
    moves,
    st.randoms(use_true_random=False),
)
def test_the_kept_sums_report_what_the_ledger_says_in_any_arrival_order(
    template: Path,
    events: list[CustodyEvent],
    factor: int,
    moved: list[Move],
    rnd: random.Random,
) -> None:
    events = stretched(events, factor)
    with tempfile.TemporaryDirectory(prefix="cagekeeper-loans-") as tmp:
        path = Path(tmp) / "hub.db"
        shutil.copy(template, path)
        store = Store.open(f"sqlite:///{path}", upgrade=False)
        try:
            deliver(store, deliveries(events, rnd), moved)
            assert_same_reports(store, periods(rnd))
            assert store.verify(NOW) == []
        finally:
            store.close()


def _late_return_story(store: Store) -> tuple[datetime, datetime]:
    """CAM-1 lent Monday 10:00 to Wednesday 10:00 (two days); the kiosk that lent it was
    offline, so the return arrives first and the checkout a day later."""
    registry(store)
    monday = week_start(T0)
    lent, back = monday + timedelta(hours=10), monday + timedelta(days=2, hours=10)
    checkout, give_back = number(
        [
            dict(
                at=lent,
                kiosk="cage-1",
                type=EventType.CHECKOUT,
                person="ada",
                asset="CAM-1",
                due=lent + timedelta(days=3),
            ),
            dict(at=back, kiosk="door-1", type=EventType.RETURN, asset="CAM-1"),
        ]
    )
    store.commit_events([(give_back, give_back.model_dump_json())], back)
    store.commit_events([(checkout, checkout.model_dump_json())], back + timedelta(days=1))
    return monday, monday + timedelta(weeks=1)


def test_a_checkout_that_arrives_after_its_return_still_counts(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        start, end = _late_return_story(store)
        report = store.report(start, end)
        # two days out of a week, for one of the three cameras
        assert report.utilization["camera"][start] == pytest.approx(2 / 7 / 3)
        assert report.overdue_rate == {start: (0, 1)}
        # moved to another category, its loan goes with it
        store.update_asset("CAM-1", NOW, "manager", category="audio")
        moved = store.report(start, end)
        assert moved.utilization["camera"][start] == 0.0
        assert moved.utilization["audio"][start] == pytest.approx(2 / 7)
        assert_same_reports(store, [(start, end), (start + timedelta(days=1), end)])
    finally:
        store.close()


def test_verify_finds_sums_that_disagree_with_the_ledger_and_repair_rebuilds_them(
    tmp_path: Path,
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        start, end = _late_return_story(store)
        with store.engine.begin() as conn:
            conn.execute(update(loan_weeks).values(ends=0, end_ms=0))
        out = store.report(start, end).utilization["camera"][start]  # out to the week's end
        assert out == pytest.approx((7 * 24 - 10) / (7 * 24) / 3)
        [found] = store.verify(NOW)
        assert str(found) == (
            f"reports: loan sums of camera, week of {start:%Y-%m-%d}: stored 1 begun "
            f"(36000000 ms), 0 ended (0 ms), ledger says 1 begun (36000000 ms), "
            f"1 ended (208800000 ms)"
        )
        store.repair(NOW, "manager")
        assert store.verify(NOW) == []
        assert store.report(start, end).utilization["camera"][start] == pytest.approx(2 / 7 / 3)
    finally:
        store.close()


def test_the_migration_fills_the_sums_from_the_ledger(tmp_path: Path) -> None:
    """A hub upgraded from 0016 with loans in its ledger reports them at once."""
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        start, end = _late_return_story(store)
        cfg = alembic_config(store.engine)
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0016")
        upgrade(store.engine)
        assert store.verify(NOW) == []
        assert store.report(start, end).utilization["camera"][start] == pytest.approx(2 / 7 / 3)
    finally:
        store.close()


def test_two_hubs_committing_at_once_on_postgresql_keep_the_sums(pg_url: str) -> None:
    """Two hub processes share one database and split the arrivals: each commit adds its
    deltas to the same weeks' rows while the other commits."""
    rnd = random.Random(7)
    first = Store.open(pg_url)
    second = Store.open(pg_url, upgrade=False)
    try:
        registry(first)
        batches = deliveries(_history(rnd), rnd)
        with ThreadPoolExecutor(2) as pool:
            done = [
                pool.submit(deliver, hub, batches[n::2], [])
                for n, hub in enumerate((first, second))
            ]
            for d in done:
                d.result()
        assert_same_reports(first, periods(rnd))
        assert first.verify(NOW) == []
    finally:
        first.close()
        second.close()


def _history(rnd: random.Random) -> list[CustodyEvent]:
    """A longer random history in event order: loans of every asset over two months."""
    rows = []
    for code in (*LOOSE, KIT):
        at = T0 + timedelta(days=rnd.randrange(0, 20), minutes=rnd.randrange(60))
        for _ in range(rnd.randrange(3, 12)):
            rows.append(
                dict(
                    at=at,
                    kiosk=rnd.choice(("cage-1", "cage-2")),
                    type=EventType.CHECKOUT,
                    person=rnd.choice(("ada", "grace")),
                    asset=code,
                    due=at + timedelta(days=2),
                )
            )
            at += timedelta(hours=rnd.randrange(1, 24 * 9))
            if rnd.random() < 0.8:
                rows.append(dict(at=at, kiosk="door-1", type=EventType.RETURN, asset=code))
            at += timedelta(hours=rnd.randrange(1, 24 * 5))
    return number(rows)


def test_a_loan_open_at_the_rest_point_ends_at_the_next_return(tmp_path: Path) -> None:
    """A return stamped half an hour before the checkout it ended (the returning kiosk's clock
    behind): custody rests after the checkout, yet the reports count the item out from the
    checkout until a later return, which arrives in a commit of its own."""
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        registry(store)
        monday = week_start(T0)
        lent = monday + timedelta(hours=10, minutes=30)
        early, lent_ev, back = number(
            [
                dict(
                    at=lent - timedelta(minutes=30),
                    kiosk="door-1",
                    type=EventType.RETURN,
                    asset="CAM-1",
                ),
                dict(
                    at=lent,
                    kiosk="cage-1",
                    type=EventType.CHECKOUT,
                    person="ada",
                    asset="CAM-1",
                    due=lent + timedelta(days=1),
                ),
                dict(
                    at=lent + timedelta(hours=24),
                    kiosk="cage-2",
                    type=EventType.RETURN,
                    asset="CAM-1",
                ),
            ]
        )
        for batch in ([early, lent_ev], [back]):
            store.commit_events([(e, e.model_dump_json()) for e in batch], NOW)
        week = (monday, monday + timedelta(weeks=1))
        assert store.report(*week).utilization["camera"][monday] == pytest.approx(1 / 7 / 3)
        assert_same_reports(store, [week])
        assert store.verify(NOW) == []
    finally:
        store.close()
