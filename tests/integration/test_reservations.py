"""Borrowers' own reservations through the one booking path, on a real database: the
managers' checks apply, the borrower's limits on top, kits go with their pieces, a borrower
cancels only their own, the creation rate is capped, and each is audited with it. On SQLite
and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.domain.reservations import Policy, ReservationRules
from hub.errors import BookingConflict, NotFound, RateLimited
from hub.store import Store
from hub.store.audit import AuditFilter
from hub.store.booking_writes import Ask
from rules.opening import OpeningHours
from tests.events import commit, kiosk_event
from wire import EventType

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday; London is on UTC until the 29th
HOURS = OpeningHours("Europe/London", {d: (time(9), time(17)) for d in range(5)})
POLICY = Policy(ReservationRules(live=2, per_window=3), HOURS, max_items=4)


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def store(hub_url: str) -> Iterator[Store]:
    s = Store.open(hub_url)
    s.add_person("ada", "Ada Lovelace", ["04A1B2C3"], email="ada@example.org")
    s.add_person("eve", "Eve Example", ["0EEEEEEE"])
    for code, name in (("CAM-0001", "Canon C70"), ("CAM-0002", "Sony FX3")):
        s.add_asset(code, name, "camera")
    s.add_asset("KIT-1", "Interview kit", "kit")
    s.add_asset("KIT-1-BODY", "Body", "camera", kit="KIT-1")
    s.add_asset("KIT-1-LENS", "Lens", "lens", kit="KIT-1")
    s.add_kiosk("cage-1", "Film cage", NOW)
    yield s
    s.close()


def _reserve(store: Store, person: str = "ada", day: int = 3, **target: str) -> list[int]:
    ask = Ask(person, _at(day, 10), _at(day, 12), **target)
    return list(store.reserve(ask, NOW, LONDON, POLICY, actor=f"{person}-user").bookings)


def _lend(store: Store, asset: str, person: str, due: datetime, seq: int = 1) -> None:
    at = NOW - timedelta(hours=1)
    lent = kiosk_event(
        at, EventType.CHECKOUT, seq=seq, tiebreak=seq, person=person, asset=asset, due=due
    )
    commit(store, lent)


def _audited(store: Store, action: str) -> list[tuple[str, str | None, str | None]]:
    rows = store.audit_page(AuditFilter(action=action))
    return [(e.actor, e.target, e.detail) for e in rows]


def test_an_item_is_reserved_and_audited_in_the_same_transaction(store: Store) -> None:
    (number,) = _reserve(store, asset="CAM-0001")
    live = store.reservations_of("ada", NOW)
    assert [(b.id, b.asset, b.starts) for b in live] == [(number, "CAM-0001", _at(3, 10))]
    assert _audited(store, "reservation.create") == [
        ("ada-user", "CAM-0001", f"#{number} ada 2026-03-03 10:00 to 2026-03-03 12:00 UTC")
    ]


def test_a_kit_goes_with_its_pieces_and_cancelling_it_frees_them_all(store: Store) -> None:
    numbers = _reserve(store, asset="KIT-1")
    assert len(numbers) == 3
    assert [b.asset for b in store.reservations_of("ada", NOW)] == ["KIT-1"]  # one to see
    with pytest.raises(BookingConflict, match="KIT-1 is reserved from Tue 03 Mar 2026 10:00"):
        _reserve(store, "eve", asset="KIT-1")
    store.cancel_booking(numbers[0], NOW, actor="ada-user", person="ada")
    assert store.bookings_between(_at(3, 0), _at(4, 0)) == []  # the pieces' too
    assert len(_reserve(store, "eve", asset="KIT-1")) == 3


def test_a_piece_booked_on_its_own_keeps_the_kit_in(store: Store) -> None:
    store.add_booking("KIT-1-LENS", "eve", _at(3, 11), _at(3, 13), NOW, actor="manager")
    with pytest.raises(BookingConflict, match="KIT-1-LENS is reserved from"):
        _reserve(store, asset="KIT-1")
    assert store.reservations_of("ada", NOW) == []


def test_a_piece_of_a_kit_alone_is_refused(store: Store) -> None:
    with pytest.raises(BookingConflict, match="KIT-1-LENS is part of the kit KIT-1"):
        _reserve(store, asset="KIT-1-LENS")


def test_a_category_gives_the_first_free_item_then_says_why_none_is(store: Store) -> None:
    assert store.reservations_of("ada", NOW) == []
    _reserve(store, "ada", category="camera")
    _reserve(store, "eve", category="camera")
    assert sorted(b.asset for b in store.bookings_between(_at(3, 0), _at(4, 0))) == [
        "CAM-0001",
        "CAM-0002",
    ]
    store.add_person("bob", "Bob", ["0BBBBBBB"])
    with pytest.raises(BookingConflict) as refused:
        _reserve(store, "bob", category="camera")
    text = str(refused.value)
    assert text.startswith("no camera item is free then: CAM-0001 is reserved from Tue 03 Mar")
    assert "CAM-0002 is reserved from" in text
    assert "ada" not in text and "eve" not in text  # nobody else's name reaches a borrower


def test_the_managers_checks_apply_to_a_borrower(store: Store) -> None:
    _lend(store, "CAM-0001", "eve", due=_at(4, 9))
    with pytest.raises(BookingConflict, match="CAM-0001 is on loan until Wed 04 Mar 2026 09:00"):
        _reserve(store, asset="CAM-0001")
    store.require_training("camera", "cinema-1")
    with pytest.raises(BookingConflict, match="needs the cinema-1 training, which you do not"):
        _reserve(store, asset="CAM-0002")
    store.grant_training("ada", "cinema-1", None)
    assert _reserve(store, asset="CAM-0002")


def test_the_borrower_s_own_state_refuses_before_any_item(store: Store) -> None:
    store.block_person("ada", _at(20, 0), "three late returns", NOW, "manager")
    with pytest.raises(BookingConflict, match="blocked from borrowing until Fri 20 Mar"):
        _reserve(store, asset="CAM-0001")
    store.unblock_person("ada", NOW, "manager")
    _lend(store, "CAM-0002", "ada", due=NOW - timedelta(minutes=5))
    with pytest.raises(BookingConflict, match="bring back your overdue item first"):
        _reserve(store, asset="CAM-0001")


def test_live_reservations_are_capped_and_a_cancelled_one_frees_a_place(store: Store) -> None:
    first = _reserve(store, day=3, asset="CAM-0001")
    _reserve(store, day=4, asset="CAM-0001")
    with pytest.raises(BookingConflict, match="you already have 2 live reservations"):
        _reserve(store, day=5, asset="CAM-0001")
    store.cancel_booking(first[0], NOW, actor="ada-user", person="ada")
    assert _reserve(store, day=5, asset="CAM-0001")


def test_a_borrower_cancels_only_their_own_live_reservation(store: Store) -> None:
    (eves,) = _reserve(store, "eve", asset="CAM-0001")
    with pytest.raises(NotFound):
        store.cancel_booking(eves, NOW, actor="ada-user", person="ada")
    assert [b.id for b in store.reservations_of("eve", NOW)] == [eves]  # untouched
    store.cancel_booking(eves, NOW, actor="eve-user", person="eve")
    with pytest.raises(NotFound):  # not twice
        store.cancel_booking(eves, NOW, actor="eve-user", person="eve")
    assert store.reservations_of("eve", NOW) == []
    assert _audited(store, "reservation.cancel") == [("eve-user", "CAM-0001", f"#{eves} eve")]
    with pytest.raises(NotFound):
        store.cancel_booking(9999, NOW, actor="ada-user", person="ada")


def test_creating_reservations_is_rate_limited_per_borrower(store: Store) -> None:
    for day in (3, 4, 5):
        (n,) = _reserve(store, day=day, asset="CAM-0001")
        store.cancel_booking(n, NOW, actor="ada-user", person="ada")  # keeps under "live"
    with pytest.raises(RateLimited) as limited:
        _reserve(store, day=6, asset="CAM-0001")
    assert str(limited.value) == "at most 3 reservations in 60 minutes: try again in 60 minutes"
    assert limited.value.retry_after == timedelta(hours=1)
    assert store.reservations_of("ada", NOW) == []  # nothing made by the refused one
    assert _reserve(store, "eve", day=6, asset="CAM-0001")  # another borrower is not held up
    later = Ask("ada", _at(9, 10), _at(9, 12), asset="CAM-0002")
    assert store.reserve(later, NOW + timedelta(hours=1), LONDON, POLICY, actor="ada-user")


def test_a_manager_s_booking_is_audited_with_it(store: Store) -> None:
    number = store.add_booking("CAM-0001", "ada", _at(3, 10), _at(3, 12), NOW, actor="manager")
    store.cancel_booking(number, NOW, actor="manager")
    assert _audited(store, "booking.create") == [("manager", "CAM-0001", f"#{number} ada")]
    assert _audited(store, "booking.cancel") == [("manager", "CAM-0001", f"#{number} ada")]
