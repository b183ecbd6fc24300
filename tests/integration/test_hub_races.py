"""Races and order dependences that runs of several hubs on one PostgreSQL once found in the hub
(``test_several_hubs``), each reproduced on its own: arrival order, the overdue sweeper
working while a loan ends, an event another hub commits meanwhile, a batch meeting other hubs'
commits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as sa_event

from hub.alerts.dispatch import Alerter
from hub.ingest import Inbound, Ingest
from hub.store import Store
from tests.histories import number
from wire import AckResult, CustodyEvent, EventType, ReturnCondition, Topics, encode_event

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _small_store(url: str, now: datetime) -> Store:
    store = Store.open(url)
    store.add_person("ada", "Ada")
    for code in ("CAM-1", "CAM-2", "CAM-3"):
        store.add_asset(code, "Camera", "camera", now=now - timedelta(days=3))
    store.add_kiosk("cage-1", "cage-1", now - timedelta(days=3), location="Film cage")
    store.add_kiosk("door-1", "door-1", now - timedelta(days=3))  # no location
    return store


def _loans(now: datetime) -> list[CustodyEvent]:
    """Lent and returned at the cage, then lent again and returned at the door."""
    t = now - timedelta(days=2)
    rows: list[dict[str, Any]] = []
    for start, back_at in ((t, "cage-1"), (t + timedelta(hours=5), "door-1")):
        rows.append(
            dict(
                at=start,
                kiosk="cage-1",
                type=EventType.CHECKOUT,
                person="ada",
                asset="CAM-1",
                due=start + timedelta(hours=4),
            )
        )
        rows.append(
            dict(
                at=start + timedelta(hours=1),
                kiosk=back_at,
                type=EventType.RETURN,
                asset="CAM-1",
                condition=ReturnCondition.OK,
            )
        )
    return number(rows)


def test_where_an_item_is_does_not_depend_on_arrival_order(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    events = _loans(now)
    places = []
    for name, order in (("in-order", events), ("door-first", events[::-1])):
        (tmp_path / name).mkdir()
        store = _small_store(f"sqlite:///{tmp_path / name / 'hub.db'}", now)
        try:
            for ev in order:
                store.commit_events([(ev, ev.model_dump_json())], now)
            view = store.asset_detail("CAM-1")
            assert view is not None
            places.append(view.asset.location)
        finally:
            store.close()
    assert places[0] == "Film cage"  # the door has no location: it stays where last placed
    assert places[1] == places[0]


def test_a_loan_ended_while_the_sweeper_works_keeps_no_open_alert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    store = _small_store(f"sqlite:///{tmp_path / 'hub.db'}", now)
    try:
        lent, back = _loans(now)[2:]  # the second loan: overdue by now
        store.commit_events([(lent, lent.model_dump_json())], now)
        record = store.record_sweep

        def returned_meanwhile(*args: Any, **kwargs: Any) -> None:
            store.commit_events([(back, back.model_dump_json())], now)
            record(*args, **kwargs)

        monkeypatch.setattr(store, "record_sweep", returned_meanwhile)
        Alerter(store, lambda: now).sweep_once()
        assert store.items_out() == []
        assert store.verify() == []
    finally:
        store.close()


def _checkouts(now: datetime) -> list[CustodyEvent]:
    """cage-1 lends CAM-1, CAM-2 and CAM-3 (sequence numbers 1 to 3)."""
    return number(
        [
            dict(
                at=now - timedelta(hours=4 - n),
                kiosk="cage-1",
                type=EventType.CHECKOUT,
                person="ada",
                asset=f"CAM-{n}",
                due=now + timedelta(hours=n),
            )
            for n in (1, 2, 3)
        ]
    )


def test_an_event_another_hub_commits_meanwhile_is_a_duplicate(pg_url: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    this_hub = _small_store(pg_url, now)
    other_hub = Store.open(pg_url, upgrade=False)
    try:
        [event] = _checkouts(now)[:1]
        theirs: list[AckResult] = []

        def other_hub_commits(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
            # after this hub looked for the event, before it locks the asset and inserts it
            if statement.startswith("SELECT ledger.id") and not theirs:
                theirs.extend(
                    o.result
                    for o in other_hub.commit_events([(event, event.model_dump_json())], now)
                )

        sa_event.listen(this_hub.engine, "before_cursor_execute", other_hub_commits)
        [outcome] = this_hub.commit_events([(event, event.model_dump_json())], now)
        assert theirs == [AckResult.COMMITTED]
        assert (outcome.result, outcome.error) == (AckResult.DUPLICATE, None)
    finally:
        other_hub.close()
        this_hub.close()


def test_a_batch_meeting_other_hubs_commits_is_acknowledged_in_one_go(pg_url: str) -> None:
    """Another hub commits two of this batch's events after this hub looked for them and
    before it inserts them: the insert skips them, they are acknowledged as duplicates and the
    rest committed, without the batch failing (which made the hub reconnect and wait for the
    kiosks to resend)."""
    now = datetime.now(UTC).replace(microsecond=0)
    this_hub = _small_store(pg_url, now)
    other_hub = Store.open(pg_url, upgrade=False)
    try:
        key = this_hub.kiosk_key("cage-1")
        assert key is not None
        events = _checkouts(now)
        topic = Topics().events("cage-1")
        batch = [Inbound(topic, encode_event(e, key)) for e in events]
        theirs = events[:2]

        def other_hub_commits(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
            # after this hub looked for them, before it locks their assets and inserts them
            if "FOR UPDATE" in statement and theirs:
                other_hub.commit_events([(e, e.model_dump_json()) for e in theirs], now)
                theirs.clear()

        sa_event.listen(this_hub.engine, "before_cursor_execute", other_hub_commits)
        acks = Ingest(this_hub, Topics()).process(batch, now)
        assert [(a.seq, a.result) for a in acks["cage-1"].acks] == [
            (1, AckResult.DUPLICATE),
            (2, AckResult.DUPLICATE),
            (3, AckResult.COMMITTED),
        ]
    finally:
        other_hub.close()
        this_hub.close()
