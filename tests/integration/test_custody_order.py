"""Custody does not depend on the order events arrive in (docs/protocol.md section 5).

Property tests on a real SQLite hub store: a generated history delivered shuffled, partly
resent and split into random batches, with the overdue sweeper running between batches, ends
with the same holders, late returns and bans, tickets, anomalies, open alerts and bookings as
the same history delivered in event order, one event at a time. And ``verify`` agrees.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from hub.alerts.dispatch import Alerter
from hub.domain import lifecycle
from hub.domain.strikes import StrikeRules
from hub.domain.sweeper import AlertRules
from hub.store import Store
from hub.store.schema import audit_log, people
from tests.histories import KIOSKS, T0, deliveries, histories, open_alerts, registry, state
from wire import CustodyEvent, EventType, ReturnCondition
from wire.ids import uuid7

END = T0 + timedelta(days=5)  # when the hub commits: after every event of a history
STRIKES = StrikeRules(grace=timedelta(minutes=15), limit=2, term=timedelta(days=30))
RULES = AlertRules(due_soon=timedelta(hours=1), escalate_after=timedelta(hours=6))


@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    """One migrated database with the registry, copied for each example."""
    with tempfile.TemporaryDirectory(prefix="cagekeeper-order-") as tmp:
        path = Path(tmp) / "template.db"
        store = Store.open(f"sqlite:///{path}")
        registry(store)
        store.add_booking("CAM-2", "grace", T0 + timedelta(hours=1), T0 + timedelta(hours=9), T0)
        store.close()
        yield path


class Hub:
    """A hub store on its own copy of the template, with the sweeper on the injected clock."""

    def __init__(self, template: Path, folder: Path) -> None:
        path = folder / "hub.db"
        shutil.copy(template, path)
        self.store = Store.open(f"sqlite:///{path}", upgrade=False, strikes=STRIKES)
        self.alerter = Alerter(self.store, lambda: self.now, RULES)
        self.now = END

    def deliver(self, batch: list[CustodyEvent]) -> None:
        self.store.commit_events([(e, e.model_dump_json()) for e in batch], END)
        self.alerter.sweep_once()

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def hub(template: Path, tmp_path: Path) -> Iterator[Hub]:
    h = Hub(template, tmp_path)
    try:
        yield h
    finally:
        h.close()


def run(template: Path, batches: list[list[CustodyEvent]]) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="cagekeeper-order-") as tmp:
        hub = Hub(template, Path(tmp))
        try:
            for batch in batches:
                hub.deliver(batch)
            assert hub.store.verify(END) == []
            return state(hub.store)
        finally:
            hub.close()


# 25 histories in the suite; CAGEKEEPER_EXAMPLES=1000 for a long hunt (about 6 minutes)
@settings(
    max_examples=int(os.environ.get("CAGEKEEPER_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(histories(), st.randoms(use_true_random=False))
def test_any_arrival_order_and_any_batching_give_the_same_custody(
    template: Path, events: list[CustodyEvent], rnd: random.Random
) -> None:
    in_order = run(template, [[e] for e in events])
    shuffled = run(template, deliveries(events, rnd))
    assert shuffled == in_order


def test_a_return_before_its_offline_checkout_ends_the_loan_and_voids_its_alerts(hub: Hub) -> None:
    """The cage kiosk is offline when Ada borrows; the door station is online when she brings
    the camera back. The door's return arrives first; the checkout arrives a day later."""
    lent_at = T0 + timedelta(hours=1)
    back_at = lent_at + timedelta(hours=3)
    checkout = CustodyEvent(
        id=uuid7(int(lent_at.timestamp() * 1000)),
        kiosk="cage-1",
        seq=1,
        at=lent_at,
        type=EventType.CHECKOUT,
        person="ada",
        asset="CAM-1",
        due=lent_at + timedelta(hours=2),
    )
    back = CustodyEvent(
        id=uuid7(int(back_at.timestamp() * 1000)),
        kiosk="door-1",
        seq=1,
        at=back_at,
        type=EventType.RETURN,
        asset="CAM-1",
        condition=ReturnCondition.OK,
    )
    hub.deliver([back])
    assert [a.kind for a in hub.store.attention().anomalies] == ["not_on_loan"]
    hub.deliver([checkout])
    assert hub.store.items_out() == []
    assert hub.store.attention().anomalies == []
    [late] = state(hub.store)["late"]  # due at +2 h, back at +3 h: one late return
    assert late[1:] == ("ada", "CAM-1", 60)
    assert hub.store.verify(END) == []


def test_a_door_clock_an_hour_behind_ends_the_loan_and_asks_for_a_look(hub: Hub) -> None:
    lent_at = T0 + timedelta(hours=1)
    door_says = lent_at - timedelta(minutes=30)  # really 30 min after, on a clock 1 h behind
    hub.deliver(
        [
            CustodyEvent(
                id=uuid7(int(lent_at.timestamp() * 1000)),
                kiosk=KIOSKS[0],
                seq=1,
                at=lent_at,
                type=EventType.CHECKOUT,
                person="ada",
                asset="CAM-1",
                due=lent_at + timedelta(hours=2),
            ),
            CustodyEvent(
                id=uuid7(int(door_says.timestamp() * 1000)),
                kiosk="door-1",
                seq=1,
                at=door_says,
                type=EventType.RETURN,
                asset="CAM-1",
            ),
        ]
    )
    assert hub.store.items_out() == []
    [anomaly] = hub.store.attention().anomalies
    assert anomaly.kind == "return_before_loan" and "check door-1's clock" in anomaly.detail


def status(store: Store, code: str) -> str:
    view = store.asset(code)
    assert view is not None
    return view.status


def banned(store: Store, person: str) -> bool:
    with store.engine.connect() as conn:
        until = conn.scalar(select(people.c.blocked_until).where(people.c.id == person))
    return until is not None


def event(kiosk: str, seq: int, minutes: float, type_: EventType, **fields: object) -> CustodyEvent:
    at = T0 + timedelta(minutes=minutes)
    return CustodyEvent.model_validate(
        {
            "id": uuid7(int(at.timestamp() * 1000)),
            "kiosk": kiosk,
            "seq": seq,
            "at": at,
            "type": type_,
            **fields,
        }
    )


def two_late_returns() -> list[CustodyEvent]:
    """Ada brings CAM-1 back an hour late, then CAM-2 more than two hours late."""
    return [
        event(
            "cage-1",
            1,
            0,
            EventType.CHECKOUT,
            person="ada",
            asset="CAM-1",
            due=T0 + timedelta(hours=2),
        ),
        event("door-1", 1, 180, EventType.RETURN, asset="CAM-1"),
        event(
            "cage-1",
            2,
            200,
            EventType.CHECKOUT,
            person="ada",
            asset="CAM-2",
            due=T0 + timedelta(hours=4),
        ),
        event("door-1", 2, 400, EventType.RETURN, asset="CAM-2"),
    ]


def test_an_extension_that_arrives_late_withdraws_the_strike_and_lifts_the_ban(hub: Hub) -> None:
    """Two late returns ban Ada (limit 2), until the offline kiosk's record of her renewing the
    second loan arrives: that return was on time, the strike goes and so does the ban."""
    hub.deliver(two_late_returns())
    assert banned(hub.store, "ada")
    renewal = event(
        "cage-2",
        1,
        230,
        EventType.EXTEND,
        person="ada",
        asset="CAM-2",
        due=T0 + timedelta(hours=8),
    )
    hub.deliver([renewal])
    assert not banned(hub.store, "ada")
    assert [lr[2] for lr in state(hub.store)["late"]] == ["CAM-1"]
    with hub.store.engine.connect() as conn:
        actions = list(conn.scalars(select(audit_log.c.action).order_by(audit_log.c.id)))
    assert actions[-2:] == ["person.ban", "person.ban_withdrawn"]
    assert hub.store.verify(END) == []
    with hub.store.engine.begin() as conn:  # a ban the late returns no longer earn
        conn.execute(
            update(people)
            .where(people.c.id == "ada")
            .values(
                blocked_until=END + timedelta(days=9),
                blocked_reason="2 late returns in 30 days",
            )
        )
    [difference] = hub.store.verify(END)
    assert (difference.person, difference.what, difference.derived) == ("ada", "ban", "none")
    hub.store.repair(END, "test")
    assert not banned(hub.store, "ada") and hub.store.verify(END) == []


def test_a_return_that_arrives_after_the_overdue_alert_withdraws_it_where_it_went(hub: Hub) -> None:
    due = T0 + timedelta(hours=2)
    hub.deliver([event("cage-1", 1, 0, EventType.CHECKOUT, person="ada", asset="CAM-1", due=due)])
    raised = open_alerts(hub.store, "ada")
    assert sorted(a.kind for a in raised) == ["escalated", "overdue"]
    for alert in raised:  # mailed to Ada and the managers
        hub.store.mark_delivered(alert.id, "email", END)
    hub.deliver([event("door-1", 1, 60, EventType.RETURN, asset="CAM-1")])  # on time
    assert open_alerts(hub.store, "ada") == []
    [notice] = hub.store.undelivered("email")
    assert notice.kind == "withdrawn" and notice.text.startswith("No longer escalated")
    assert state(hub.store)["late"] == []


def test_an_alert_withdrawn_by_one_late_event_is_raised_again_by_the_next(hub: Hub) -> None:
    """Grace's 15:00 loan looks ended by a 14:55 return (a clock behind?) until the 14:45 loan
    that return really ended arrives: her loan goes on, and so do its overdue alerts."""
    two = {"person": "ada", "asset": "CAM-1"}
    hub.deliver([event("cage-1", 1, 0, EventType.CHECKOUT, due=T0 + timedelta(hours=2), **two)])
    hub.deliver([event("door-1", 2, 355, EventType.RETURN, asset="CAM-1")])
    grace = event(
        "cage-1",
        4,
        360,
        EventType.CHECKOUT,
        person="grace",
        asset="CAM-1",
        due=T0 + timedelta(hours=8),
    )
    hub.deliver([grace])
    raised = sorted(a.id for a in open_alerts(hub.store, "grace"))
    assert raised
    hub.deliver([event("door-1", 1, 10, EventType.RETURN, asset="CAM-1")])
    assert hub.store.items_out() == [] and open_alerts(hub.store, "grace") == []
    hub.deliver([event("cage-1", 3, 345, EventType.CHECKOUT, due=T0 + timedelta(hours=7), **two)])
    [held] = hub.store.items_out()
    assert (held.person, held.since) == ("grace", grace.at)
    assert sorted(a.id for a in open_alerts(hub.store, "grace")) == raised
    assert not any(a.kind == "withdrawn" for a in hub.store.undelivered("email"))
    assert hub.store.verify(END) == []


def test_unblocking_forgives_the_strikes_so_no_re_derivation_bans_again(hub: Hub) -> None:
    hub.deliver(two_late_returns())
    assert banned(hub.store, "ada")
    hub.store.unblock_person("ada", END, "manager")
    assert hub.store.verify(END) == []
    assert hub.store.repair(END, "test") == [] and not banned(hub.store, "ada")


def test_an_old_loan_arriving_after_maintenance_leaves_the_item_in_maintenance(hub: Hub) -> None:
    """A manager sends CAM-1 to maintenance; then an offline kiosk's loan of it from before
    arrives, checkout and return in separate batches: it ends in maintenance, as in one."""
    hub.store.move_asset("CAM-1", lifecycle.Action.MAINTENANCE, END, "manager", "rattles")
    lent = event(
        "cage-1",
        1,
        0,
        EventType.CHECKOUT,
        person="ada",
        asset="CAM-1",
        due=T0 + timedelta(hours=4),
    )
    hub.deliver([lent])
    assert status(hub.store, "CAM-1") == "out"
    hub.deliver([event("door-1", 1, 60, EventType.RETURN, asset="CAM-1")])
    assert status(hub.store, "CAM-1") == "maintenance"
    [ticket] = hub.store.tickets(asset="CAM-1")
    assert ticket.kind == "manual"


def test_changing_the_clock_tolerance_re_derives_every_asset(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = Store.open(url, now=END)
    registry(store)
    lent_at = T0 + timedelta(hours=1)
    store.commit_events(
        [
            (e, e.model_dump_json())
            for e in (
                event(
                    "cage-1",
                    1,
                    60,
                    EventType.CHECKOUT,
                    person="ada",
                    asset="CAM-1",
                    due=lent_at + timedelta(hours=2),
                ),
                event("door-1", 1, 30, EventType.RETURN, asset="CAM-1"),  # door clock behind
            )
        ],
        END,
    )
    assert store.items_out() == []
    store.close()
    store = Store.open(url, tolerance=timedelta(0), now=END)  # no leeway for clocks now
    try:
        assert [i.asset for i in store.items_out()] == ["CAM-1"]
        assert [a.kind for a in store.attention().anomalies] == ["not_on_loan"]
        assert store.verify(END) == []
    finally:
        store.close()
