"""An operation and its audit entry are one unit of work: when the audit entry cannot be
written, the operation is not done either, and nothing of it is left behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.domain import lifecycle
from hub.domain.bookings import State
from hub.errors import NotFound, StoreError
from hub.store import Store
from hub.store.journal import Note
from hub.store.schema import assets
from tests.databases import fresh_sqlite
from tests.events import KioskFeed, checkout_event
from wire import CustodyEvent, ReturnCondition

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(fresh_sqlite(tmp_path / "hub.db"))
    s.add_person("ada", "Ada Lovelace", ["04A1B2C3"])
    s.add_kiosk("cage-1", "Film cage", T0)
    s.add_asset("CAM-1", "Canon C70", "camera")
    s.add_asset("MIC-1", "Rode NTG", "audio")
    yield s
    s.close()


@contextmanager
def audit_log_down(store: Store) -> Iterator[None]:
    """Every write to the audit log fails as a database fault does (SQLite: a trigger that
    reads a table that is not there), whatever else the transaction wrote."""
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT 1 FROM gone; END"
        )
    try:
        yield
    finally:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER audit_down")


def _status(store: Store, code: str) -> str:
    with store.engine.connect() as conn:
        return str(conn.scalar(select(assets.c.status).where(assets.c.code == code)))


def _actions(store: Store) -> list[tuple[str, str | None, str | None]]:
    return [(e.action, e.target, e.detail) for e in reversed(store.audit_entries())]


def _event(seq: int, asset: str, at: datetime) -> tuple[CustodyEvent, str]:
    event = checkout_event("cage-1", seq, at, asset, hours=2)
    return event, event.model_dump_json()


def test_a_booking_whose_audit_entry_fails_is_not_made(store: Store) -> None:
    starts, ends = T0 + timedelta(days=1), T0 + timedelta(days=2)
    with audit_log_down(store), pytest.raises(StoreError):
        store.add_booking("CAM-1", "ada", starts, ends, T0, actor="manager")
    assert store.bookings_between(T0, T0 + timedelta(days=7), ended=True) == []
    number = store.add_booking("CAM-1", "ada", starts, ends, T0, actor="manager")
    [booked] = store.bookings_between(T0, T0 + timedelta(days=7))
    assert booked.id == number
    assert _actions(store)[-1] == ("booking.create", "CAM-1", f"#{number} ada")


def test_a_cancellation_whose_audit_entry_fails_leaves_the_booking(store: Store) -> None:
    starts, ends = T0 + timedelta(days=1), T0 + timedelta(days=2)
    number = store.add_booking("CAM-1", "ada", starts, ends, T0)
    with audit_log_down(store), pytest.raises(StoreError):
        store.cancel_booking(number, T0, actor="manager")
    assert [b.state for b in store.bookings_between(T0, ends, ended=True)] == [State.LIVE]
    store.cancel_booking(number, T0, actor="manager")
    assert store.bookings_between(T0, ends) == []
    assert _actions(store)[-1] == ("booking.cancel", "CAM-1", f"#{number} ada")


def test_an_unknown_booking_is_refused_and_nothing_is_audited(store: Store) -> None:
    with pytest.raises(NotFound):
        store.cancel_booking(999, T0, actor="manager")
    assert not [a for a in _actions(store) if a[0] == "booking.cancel"]


def test_a_problem_report_whose_audit_entry_fails_leaves_the_item_lendable(store: Store) -> None:
    with audit_log_down(store), pytest.raises(StoreError):
        store.report_problem("CAM-1", "cracked screen", T0, "manager")
    assert _status(store, "CAM-1") == "available"
    assert store.tickets(asset="CAM-1") == []
    store.report_problem("CAM-1", "cracked screen", T0, "manager")
    assert _status(store, "CAM-1") == "maintenance"
    [ticket] = store.tickets(asset="CAM-1")
    assert "cracked screen" in (ticket.detail or "")


def test_closing_a_ticket_whose_audit_entry_fails_keeps_it_open(store: Store) -> None:
    store.report_problem("CAM-1", "cracked screen", T0, "manager")
    [ticket] = store.tickets(asset="CAM-1")
    with audit_log_down(store), pytest.raises(StoreError):
        store.close_ticket(ticket.id, "repaired", T0, "manager", cost=Decimal("80"))
    assert [t.id for t in store.tickets(asset="CAM-1")] == [ticket.id]
    assert _status(store, "CAM-1") == "maintenance"
    store.close_ticket(ticket.id, "repaired", T0, "manager", cost=Decimal("80"))
    assert store.tickets(asset="CAM-1") == []
    assert _status(store, "CAM-1") == "available"


def test_a_ticket_closed_as_retired_retires_the_item_by_the_lifecycle(store: Store) -> None:
    store.report_problem("MIC-1", "dead capsule", T0, "manager")
    [ticket] = store.tickets(asset="MIC-1")
    store.close_ticket(ticket.id, "retired", T0, "manager")
    assert _status(store, "MIC-1") == "retired"
    # retired is a lifecycle state: only the lifecycle's own steps lead out of it
    with pytest.raises(lifecycle.LifecycleError):
        store.move_asset("MIC-1", lifecycle.Action.MAINTENANCE, T0, "manager")
    assert store.move_asset("MIC-1", lifecycle.Action.RETURN_TO_SERVICE, T0, "manager") == (
        lifecycle.Status.AVAILABLE
    )


def test_released_no_shows_whose_audit_entries_fail_stay_booked(store: Store) -> None:
    starts, ends = T0 + timedelta(hours=1), T0 + timedelta(hours=5)
    number = store.add_booking("CAM-1", "ada", starts, ends, T0)
    later = T0 + timedelta(hours=2)
    with audit_log_down(store), pytest.raises(StoreError):
        store.release_no_shows(later, later)
    assert [b.state for b in store.bookings_between(T0, ends, ended=True)] == [State.LIVE]
    assert store.release_no_shows(later, later) == [number]
    assert ("booking.no_show", str(number), None) in _actions(store)


def test_audit_notes_commit_with_the_events_they_record(store: Store) -> None:
    note = Note("manager", "desk.visit", "visit-1", "1 lent")
    with audit_log_down(store), pytest.raises(StoreError):
        store.commit_audited([_event(1, "CAM-1", T0)], T0, [note])
    assert store.ledger_rows("cage-1") == [] and store.items_out() == []
    store.commit_audited([_event(1, "CAM-1", T0)], T0, [note])
    assert [o.asset for o in store.items_out()] == ["CAM-1"]
    assert _actions(store)[-1] == ("desk.visit", "visit-1", "1 lent")


def test_audit_notes_are_not_written_when_an_event_of_the_batch_is_refused(store: Store) -> None:
    note = Note("manager", "desk.visit", "visit-2", "2 lent")
    at = T0 + timedelta(minutes=1)
    batch = [_event(1, "CAM-1", T0), _event(2, "NOPE-1", at)]
    outcomes = store.commit_audited(batch, at, [note])
    assert [o.result.value for o in outcomes] == ["committed", "rejected"]
    assert not [a for a in _actions(store) if a[0] == "desk.visit"]


def test_a_damaged_return_holds_the_item_for_repair_through_the_lifecycle(store: Store) -> None:
    feed = KioskFeed(store)
    feed.checkout("CAM-1", "ada", T0, hours=2)
    feed.give_back("CAM-1", "ada", T0 + timedelta(hours=1), condition=ReturnCondition.DAMAGED)
    assert _status(store, "CAM-1") == "maintenance"
    [ticket] = store.tickets(asset="CAM-1")
    store.close_ticket(ticket.id, "no_fault", T0 + timedelta(hours=3), "manager")
    assert _status(store, "CAM-1") == "available"
