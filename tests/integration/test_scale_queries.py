"""The queries that must not grow with the hub: the sweeper's later passes read only what
changed and find what a whole pass finds; reports are summed by the database (SQLite and
PostgreSQL) to the figures the pure fold gives; nothing binds more values per statement than
an old SQLite allows (999)."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from hub.alerts import dispatch
from hub.alerts.dispatch import Alerter
from hub.domain.sweeper import AlertRules, boundary_windows
from hub.domain.usage import Move, loan_spans, utilization, week_start
from hub.store import Store, loan_weeks
from hub.store.alerting import withdraw
from hub.store.schema import alerts, assets, holdings, late_returns, ledger, people
from wire import CustodyEvent, EventType, ReturnCondition
from wire.ids import uuid7

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = AlertRules(
    due_soon=timedelta(hours=2), escalate_after=timedelta(hours=4), lost_after=timedelta(hours=9)
)


def _alerts(store: Store) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(
                    alerts.c.id, alerts.c.kind, alerts.c.raised_at, alerts.c.withdrawn_at
                ).order_by(alerts.c.id)
            )
        ]


class Kiosk:
    """Custody events committed the way the hub's link commits them: stamped on arrival by
    the hub's clock, whatever time the kiosk gave them."""

    def __init__(self, stores: list[Store]) -> None:
        self.stores = stores
        self.seq = 0

    def send(self, now: datetime, at: datetime, **fields: Any) -> None:
        self.seq += 1
        ev = CustodyEvent.model_validate(
            {
                "id": uuid7(int(at.timestamp() * 1000)),
                "kiosk": "cage-1",
                "seq": self.seq,
                "at": at,
                **fields,
            }
        )
        for store in self.stores:
            store.commit_events([(ev, ev.model_dump_json())], now)


def _registry(store: Store, codes: list[str]) -> None:
    store.add_kiosk("cage-1", "Film cage", T0 - timedelta(days=30))
    for n in range(4):
        store.add_person(f"p{n}", f"Person {n}", [f"04A1B2C{n}"])
    for code in codes:
        store.add_asset(code, f"Item {code}", "camera")


def test_later_sweeps_find_what_a_whole_sweep_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two hubs get the same events; one keeps its sweeper (later passes read only loans that
    reached a stage and assets with new events), the other sweeps everything every pass. Their
    alerts stay the same through lending, returns, extensions and late offline checkouts."""
    monkeypatch.setattr(dispatch, "RANGE", 3)  # whole passes go by several ranges
    monkeypatch.setattr(dispatch, "ROUND", 2)  # the mending round sees little per pass
    codes = [f"CAM-{n:04d}" for n in range(12)]
    kept, whole = (Store.open(f"sqlite:///{tmp_path / f'{n}.db'}") for n in ("kept", "whole"))
    try:
        for store in (kept, whole):
            _registry(store, codes)
        kiosk = Kiosk([kept, whole])
        now = [T0]
        sweeper = Alerter(kept, lambda: now[0], RULES)
        rng = random.Random(7)
        held: dict[str, tuple[str, datetime]] = {}
        for step in range(150):  # 20 minutes a step: two days
            now[0] = T0 + timedelta(minutes=20 * step)
            for _ in range(rng.randrange(3)):
                free = [c for c in codes if c not in held]
                roll = rng.random()
                if free and roll < 0.45:
                    code, person = rng.choice(free), f"p{rng.randrange(4)}"
                    # now and then a kiosk that was offline: lent hours ago, due already
                    at = now[0] - timedelta(hours=rng.choice((0, 0, 0, 3)))
                    due = at + timedelta(hours=rng.choice((1, 2.5, 4, 9)))
                    kiosk.send(
                        now[0], at, type=EventType.CHECKOUT, person=person, asset=code, due=due
                    )
                    held[code] = (person, due)
                elif held and roll < 0.8:
                    code = rng.choice(sorted(held))
                    kiosk.send(
                        now[0],
                        now[0],
                        type=EventType.RETURN,
                        person=held.pop(code)[0],
                        asset=code,
                        condition=ReturnCondition.OK,
                    )
                elif held:
                    code = rng.choice(sorted(held))
                    person, due = held[code]
                    due = max(due, now[0]) + timedelta(hours=rng.choice((1, 5)))
                    kiosk.send(
                        now[0], now[0], type=EventType.EXTEND, person=person, asset=code, due=due
                    )
                    held[code] = (person, due)
            kept_report = sweeper.sweep_once()
            whole_report = Alerter(whole, lambda: now[0], RULES).sweep_once()
            assert _alerts(kept) == _alerts(whole), step
            assert (kept_report.raised, kept_report.withdrawn) == (
                whole_report.raised,
                whole_report.withdrawn,
            ), step
            assert _alerts(kept) == _alerts(whole), step
        kinds = {row[1] for row in _alerts(kept)}
        assert {"due_soon", "overdue", "escalated", "lost", "withdrawn"} <= kinds
    finally:
        kept.close()
        whole.close()


def test_a_quiet_later_pass_reads_only_loans_near_a_stage(tmp_path: Path) -> None:
    """After the first pass, a pass a minute later looks at the loans that reached a stage in
    that minute, not at the others."""
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        _bulk_loans(store, 300, T0)
        now = [T0]
        sweeper = Alerter(store, lambda: now[0], RULES)
        assert sweeper.sweep_once().raised > 0
        later = T0 + timedelta(minutes=30)
        windows = boundary_windows(T0, later, RULES)
        looked_at = store.sweep_candidates(windows, T0 - dispatch.ARRIVAL_LOOKBACK)
        # loans are due 7 minutes apart: a few per stage edge crossed in 30 minutes
        assert 0 < len(looked_at) <= 4 * 5
        before = len(_alerts(store))
        now[0] = later
        report = sweeper.sweep_once()
        assert report.raised == len(_alerts(store)) - before
        assert 0 < report.raised <= len(looked_at) * 2
    finally:
        store.close()


def _bulk_loans(
    store: Store, count: int, now: datetime, first: timedelta = timedelta(days=1), minutes: int = 7
) -> None:
    """``count`` loans due ``minutes`` apart from ``first`` before ``now``."""
    with store.engine.begin() as conn:
        conn.execute(insert(people), [{"id": "ada", "name": "Ada", "active": True}])
        conn.execute(
            insert(assets),
            [
                {"code": f"A{n:05d}", "name": f"Item {n}", "category": "camera", "status": "out"}
                for n in range(count)
            ],
        )
        conn.execute(
            insert(holdings),
            [
                {
                    "asset": f"A{n:05d}",
                    "person": "ada",
                    "since": now - timedelta(days=2),
                    "due": now - first + timedelta(minutes=minutes * n),
                    "kiosk": "cage-1",
                    "event_id": f"loan-{n:05d}",
                }
                for n in range(count)
            ],
        )


@pytest.fixture
def old_sqlite(tmp_path: Path) -> Iterator[Store]:
    """A store whose SQLite connections bind at most 999 values per statement, as SQLite
    before 3.32 did: any IN list over all loans fails there."""
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")

    def limit(dbapi: Any, _record: Any) -> None:
        dbapi.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)

    event.listen(store.engine, "connect", limit)
    store.engine.dispose()
    yield store
    store.close()


def test_sweeps_exports_and_reports_bind_few_values_at_any_size(old_sqlite: Store) -> None:
    from fastapi.testclient import TestClient

    from hub.web.app import WebSettings, create_app
    from hub.web.auth import create_user

    store = old_sqlite
    _bulk_loans(store, 2_500, T0, first=timedelta(days=2), minutes=1)  # all overdue
    now = [T0]
    sweeper = Alerter(store, lambda: now[0], AlertRules(lost_after=timedelta(days=30)))
    first = sweeper.sweep_once()
    assert first.raised > 2_500
    now[0] = T0 + timedelta(days=40)  # every loan reaches 'lost' by the same later pass
    assert sweeper.sweep_once().raised >= 2_500
    opened = store.open_alert_ids()
    assert len(opened) > 2_000
    with store._tx() as conn:
        withdraw(conn, opened, now[0])
    assert store.open_alert_ids() == []

    create_user(store, "manager", "a long test password", "manager", T0)
    client = TestClient(create_app(store, WebSettings(secret_key="k" * 40), lambda: now[0]))
    form = client.get("/login").text
    csrf = form.split('name="csrf" value="')[1].split('"')[0]
    client.post(
        "/login", data={"username": "manager", "password": "a long test password", "csrf": csrf}
    )
    out = client.get("/out?format=csv").content.decode("utf-8-sig").splitlines()
    assert len(out) == 2_501
    listed = client.get("/assets?format=csv").content.decode("utf-8-sig").splitlines()
    assert len(listed) == 2_501
    assert client.get("/reports").status_code == 200


# reports ----------------------------------------------------------------------------------


def _history(store: Store, seed: int) -> tuple[datetime, datetime]:
    """Random custody over 16 weeks (events on week edges too), the holdings that follow from
    it, some late returns; returns the report's period."""
    rng = random.Random(seed)
    codes = [f"A{n:03d}" for n in range(24)]
    first = week_start(T0 - timedelta(weeks=16))
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, datetime]] = set()
    for n in range(500):  # all before the period's end: holdings are what follows from them
        at = first + timedelta(seconds=rng.randrange(15 * 7 * 86400))
        if rng.random() < 0.05:
            at = first + timedelta(weeks=rng.randrange(15))
        code = rng.choice(codes)
        if (code, at) in seen:
            continue
        seen.add((code, at))
        rows.append(
            {
                "id": f"e{n:05d}",
                "kiosk": "cage-1",
                "seq": n,
                "at": at,
                "asset": code,
                "type": rng.choice(("checkout", "return", "checkout", "return", "denied")),
                "person": "ada",
                "received_at": at,
                "payload": "{}",
            }
        )
    last: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: (r["at"], r["id"])):
        if r["type"] in ("checkout", "return"):
            last[str(r["asset"])] = r
    with store.engine.begin() as conn:
        conn.execute(insert(people), [{"id": "ada", "name": "Ada", "active": True}])
        conn.execute(
            insert(assets),
            [
                {
                    "code": c,
                    "name": f"Item {c}",
                    "category": f"cat{n % 3}",
                    "status": rng.choice(("available", "out", "retired")),
                }
                for n, c in enumerate(codes)
            ],
        )
        conn.execute(insert(ledger), rows)
        conn.execute(
            insert(holdings),
            [
                {
                    "asset": c,
                    "person": "ada",
                    "since": r["at"],
                    "due": r["at"],
                    "kiosk": "cage-1",
                    "event_id": r["id"],
                }
                for c, r in last.items()
                if r["type"] == "checkout"
            ],
        )
        conn.execute(
            insert(late_returns),
            [
                {
                    "person": "ada",
                    "asset": "A001",
                    "due": first,
                    "minutes_late": 5,
                    "returned": first + timedelta(seconds=rng.randrange(16 * 7 * 86400)),
                    "event_id": f"late-{n}",
                }
                for n in range(30)
            ],
        )
        loan_weeks.rebuild(
            conn
        )  # rows inserted in bulk: the reports' sums made as a migration does
    end = first + timedelta(weeks=15)
    return end - timedelta(weeks=12), end


def _expected(store: Store, start: datetime, end: datetime) -> tuple[Any, Any]:
    """The figures by the pure fold (``hub.domain.usage``) over the period's events, with the
    items out when it began: those whose last custody event before it is a checkout."""
    with store.engine.connect() as conn:
        category = dict(conn.execute(select(assets.c.code, assets.c.category)).all())
        fleet: dict[str, int] = {}
        for status, cat in conn.execute(select(assets.c.status, assets.c.category)):
            if status not in ("retired", "disposed"):
                fleet[cat] = fleet.get(cat, 0) + 1
        custody = conn.execute(
            select(ledger.c.asset, ledger.c.type, ledger.c.at)
            .where(ledger.c.type.in_(("checkout", "return")))
            .order_by(ledger.c.asset, ledger.c.at, ledger.c.id)
        ).all()
        late = list(conn.scalars(select(late_returns.c.returned)))
    moves = [Move(a, category[a], t, at) for a, t, at in custody if start <= at < end]
    before = {a: t for a, t, at in custody if at < start}  # the latest, by the order
    held = {a: category[a] for a, t in before.items() if t == "checkout"}
    loans = loan_spans(moves, start, end, held)
    rate: dict[datetime, list[int]] = {}
    week = week_start(start)
    for kind, times in ((1, loans.returns), (0, [t for t in late if start <= t < end])):
        for at in times:
            key = week + timedelta(weeks=(at - week) // timedelta(weeks=1))
            rate.setdefault(key, [0, 0])[kind] += 1
    return (
        utilization(loans.spans, fleet, start, end),
        {w: (v[0], v[1]) for w, v in sorted(rate.items())},
    )


def _check_reports(url: str) -> None:
    for seed in range(4):
        store = Store.open(url)
        try:
            start, end = _history(store, seed)
            got = store.report(start, end)
            shares, rate = _expected(store, start, end)
            assert got.overdue_rate == rate
            assert got.utilization.keys() == shares.keys()
            for cat, weeks in shares.items():
                assert got.utilization[cat].keys() == weeks.keys()
                for week, share in weeks.items():
                    assert got.utilization[cat][week] == pytest.approx(share, abs=1e-9)
        finally:
            with store.engine.begin() as conn:
                for table in (late_returns, holdings, ledger, assets, people):
                    conn.execute(table.delete())
            store.close()


def test_reports_summed_by_sqlite_match_the_fold(tmp_path: Path) -> None:
    _check_reports(f"sqlite:///{tmp_path / 'hub.db'}")


def test_reports_summed_by_postgresql_match_the_fold(pg_url: str) -> None:
    _check_reports(pg_url)
