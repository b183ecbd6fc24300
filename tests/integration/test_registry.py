"""What the hub does with custody beyond who holds what: strikes, tickets, service, location,
lifecycle in the ledger, registry imports and no-show bookings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.domain import lifecycle
from hub.domain.strikes import StrikeRules
from hub.domain.valuation import Method
from hub.replica import build_snapshot
from hub.sheets import CsvImportError, asset_changes, parse_assets, person_changes
from hub.store import Store
from hub.store.schema import assets, ledger
from tests.databases import fresh_sqlite
from tests.events import KioskFeed
from wire import ReturnCondition

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(fresh_sqlite(tmp_path / "hub.db"))
    s.strikes = StrikeRules(grace=timedelta(minutes=15), limit=3, term=timedelta(days=120))
    s.add_person("ada", "Ada Lovelace", ["04A1B2C3"], email="ada@example.org")
    s.add_person("bo", "Bo Diaz", ["04B0B0B0"])
    s.add_kiosk("cage-1", "Film cage", T0, location="Film cage")
    s.add_kiosk("lab-1", "Sound lab", T0, location="Sound lab")
    s.add_asset(
        "CAM-1",
        "Canon C70",
        "camera",
        now=T0,
        home="Film cage",
        cost=Decimal("5000"),
        acquired=date(2025, 1, 1),
        supplier="CineSupply",
    )
    s.add_asset("MIC-1", "Rode NTG", "audio", now=T0, home="Sound lab")
    return s


def _asset(store: Store, code: str) -> dict[str, object]:
    with store.engine.connect() as conn:
        row = conn.execute(select(assets).where(assets.c.code == code)).first()
    assert row is not None
    return dict(row._mapping)


def test_three_late_returns_in_a_term_ban_new_checkouts(store: Store) -> None:
    feed = KioskFeed(store)
    t = T0
    for n in range(3):
        feed.checkout("MIC-1", "ada", t, hours=24)
        t += timedelta(hours=24 + 3)  # three hours late each time
        feed.give_back("MIC-1", "ada", t)
        t += timedelta(days=20)
        rows = store.replica_rows(t - timedelta(days=20))
        assert rows.strikes["ada"] == n + 1
    snap = build_snapshot(store.replica_rows(t - timedelta(days=20)), 1, t - timedelta(days=20))
    ada = next(p for p in snap.people if p.id == "ada")
    assert ada.blocked_until is not None and ada.strikes == 3
    assert "3 late returns" in (ada.blocked_reason or "")
    # the ban is over after 14 days
    later = build_snapshot(store.replica_rows(t), 2, t)
    assert next(p for p in later.people if p.id == "ada").blocked_until is None


def test_a_return_within_grace_is_not_a_strike(store: Store) -> None:
    feed = KioskFeed(store)
    feed.checkout("MIC-1", "ada", T0, hours=2)
    feed.give_back("MIC-1", "ada", T0 + timedelta(hours=2, minutes=10))
    assert store.replica_rows(T0).strikes == {}


def test_damage_reported_at_return_opens_a_ticket_linked_to_person_and_loan(store: Store) -> None:
    feed = KioskFeed(store)
    loan = feed.checkout("CAM-1", "ada", T0)
    feed.give_back("CAM-1", "ada", T0 + timedelta(hours=3), ReturnCondition.DAMAGED, "cracked LCD")
    (ticket,) = store.tickets()
    assert (ticket.asset, ticket.kind, ticket.person) == ("CAM-1", "damaged", "ada")
    assert ticket.loan_event_id == loan.id and ticket.detail == "cracked LCD"
    assert _asset(store, "CAM-1")["status"] == "maintenance"
    store.close_ticket(ticket.id, "repaired", T0 + timedelta(days=2), "manager", Decimal("120.50"))
    assert _asset(store, "CAM-1")["status"] == "available"
    assert store.tickets() == []
    assert store.maintenance_cost() == [("camera", Decimal("120.50"), 1)]


def test_preventive_service_holds_an_item_back_after_n_checkouts(store: Store) -> None:
    store.set_service_rule("audio", every_days=None, every_checkouts=2)
    feed = KioskFeed(store)
    for n in range(2):
        at = T0 + timedelta(days=n)
        feed.checkout("MIC-1", "bo", at, hours=4)
        feed.give_back("MIC-1", "bo", at + timedelta(hours=1))
    assert _asset(store, "MIC-1")["status"] == "maintenance"
    (ticket,) = store.tickets()
    assert ticket.kind == "preventive" and "2 checkouts" in (ticket.detail or "")
    snap = build_snapshot(store.replica_rows(T0), 1, T0)
    assert not next(a for a in snap.assets if a.code == "MIC-1").lendable


def test_a_return_at_another_cage_moves_the_item(store: Store) -> None:
    KioskFeed(store, "cage-1").checkout("CAM-1", "ada", T0)
    assert _asset(store, "CAM-1")["location"] == "Film cage"
    KioskFeed(store, "lab-1").give_back("CAM-1", "ada", T0 + timedelta(hours=2))
    moved = _asset(store, "CAM-1")
    assert moved["location"] == "Sound lab" and moved["home"] == "Film cage"


def test_every_lifecycle_step_is_in_the_ledger(store: Store) -> None:
    t = T0 + timedelta(days=1)
    store.move_asset("CAM-1", lifecycle.Action.RETIRE, t, "manager", "replaced by C80")
    store.move_asset("CAM-1", lifecycle.Action.DISPOSE, t, "manager", "sold to a student")
    with pytest.raises(lifecycle.LifecycleError):
        store.move_asset("CAM-1", lifecycle.Action.RETURN_TO_SERVICE, t, "manager")
    with store.engine.connect() as conn:
        steps = conn.execute(
            select(ledger.c.kiosk, ledger.c.type, ledger.c.reason, ledger.c.detail)
            .where(ledger.c.asset == "CAM-1")
            .order_by(ledger.c.seq)
        ).all()
    assert [(k, r) for k, _t, r, _d in steps] == [
        ("hub", "in_service"),
        ("hub", "retired"),
        ("hub", "disposed"),
    ]
    assert "cost 5000" in (steps[0][3] or "") and "sold" in (steps[2][3] or "")
    assert _asset(store, "CAM-1")["disposed_reason"] == "sold to a student"
    # the hub's own rows never look like a kiosk's sequence to a kiosk
    assert "hub" not in store.replica_rows(t).kiosk_seqs


def test_valuation_by_category_rule(store: Store) -> None:
    store.set_depreciation("camera", Method.STRAIGHT_LINE, life_years=5, salvage_pct=0)
    values = {v.code: v for v in store.valuation(date(2027, 1, 1))}
    assert values["CAM-1"].value == Decimal("3001.37")  # two years (730 days) of five
    assert values["MIC-1"].value is None  # no cost recorded


def test_csv_import_is_all_or_nothing(store: Store) -> None:
    good = "code,name,category,home,cost,acquired\nLENS-1,Zeiss 50,lens,Film cage,900,2025-06-01\n"
    done = store.import_assets(asset_changes(good), T0, "manager")
    assert done.added == [0] and done.stored
    assert _asset(store, "LENS-1")["cost"] == Decimal("900")
    with pytest.raises(CsvImportError) as bad:
        parse_assets("code,name,category\nLENS-2,Zeiss 85,lens\nLENS-3,,lens\n")
    assert bad.value.errors[0].line == 3
    people = person_changes(
        "id,name,email,badges\ncy,Cy Young,cy@example.org,04C0C0C0\ndee,Dee Lee,,04A1B2C3\n"
    )  # Ada's badge
    refused = store.import_people(people, T0, "manager")
    assert refused.refused == {1: "badge 04A1B2C3 belongs to ada"} and not refused.stored
    assert all(p.id != "cy" for p in store.replica_rows(T0).people)  # nothing half-done


def test_a_no_show_booking_is_released_after_the_grace_period(store: Store) -> None:
    kept = store.add_booking("CAM-1", "ada", T0, T0 + timedelta(hours=4), T0)
    missed = store.add_booking("MIC-1", "bo", T0, T0 + timedelta(hours=4), T0)
    KioskFeed(store).checkout("CAM-1", "ada", T0 + timedelta(minutes=10))
    released = store.release_no_shows(T0 + timedelta(minutes=1), T0 + timedelta(minutes=31))
    assert released == [missed] and kept != missed
    bookings = store.replica_rows(T0 + timedelta(minutes=31)).bookings
    assert [b.asset for b in bookings] == ["CAM-1"]


def test_an_item_on_the_shelf_is_held_back_when_its_service_falls_due(store: Store) -> None:
    store.set_service_rule("camera", every_days=90, every_checkouts=None)
    assert store.hold_back_for_service(datetime(2025, 3, 1, tzinfo=UTC)) == []
    assert store.hold_back_for_service(datetime(2025, 4, 1, tzinfo=UTC)) == ["CAM-1"]
    (ticket,) = store.tickets()
    assert ticket.kind == "preventive" and "every 90" in (ticket.detail or "")
    assert store.hold_back_for_service(datetime(2025, 4, 2, tzinfo=UTC)) == []


def test_reimporting_a_partial_or_stale_sheet_keeps_what_it_does_not_name(store: Store) -> None:
    KioskFeed(store).checkout("CAM-1", "ada", T0)
    stale = "code,name,category,status\nCAM-1,Canon C70 (body),camera,available\n"
    store.import_assets(asset_changes(stale), T0, "manager")
    cam = _asset(store, "CAM-1")
    assert cam["name"] == "Canon C70 (body)" and cam["status"] == "out"  # still lent
    assert cam["cost"] == Decimal("5000") and cam["supplier"] == "CineSupply"  # untouched
    store.add_person("sam", "Sam Staff", ["0A0B0C0D"], staff=True)
    store.import_people(person_changes("id,name\nsam,Samuel Staff\n"), T0, "manager")
    sam = next(p for p in store.replica_rows(T0).people if p.id == "sam")
    assert sam.name == "Samuel Staff" and sam.staff
    retire = "code,name,category,status\nMIC-1,Rode NTG,audio,retired\n"
    store.import_assets(asset_changes(retire), T0, "manager")
    with store.engine.connect() as conn:
        reasons = list(conn.scalars(select(ledger.c.reason).where(ledger.c.asset == "MIC-1")))
    assert reasons[-1] == "retired"  # the change is in the ledger


def test_a_kit_brought_back_late_is_one_strike(store: Store) -> None:
    store.add_asset("KIT-1", "Camera kit", "camera")
    for piece in ("BATT-1", "LENS-9"):
        store.add_asset(piece, piece, "camera", kit="KIT-1")
    feed = KioskFeed(store)
    for code in ("KIT-1", "BATT-1", "LENS-9"):
        feed.checkout(code, "ada", T0, hours=4)
    back = T0 + timedelta(hours=6)
    for code in ("KIT-1", "BATT-1", "LENS-9"):
        feed.give_back(code, "ada", back, session="04A1B2C3-1")
    assert store.replica_rows(back).strikes == {"ada": 1}
    detail = store.person_detail("ada", back - timedelta(days=120))
    assert detail is not None and detail.strikes == 1 and len(detail.late) == 3


def test_a_closed_stocktake_keeps_its_result(store: Store) -> None:
    number = store.start_stocktake("Film cage", "manager", T0)
    feed = KioskFeed(store)
    feed.seen("CAM-1", "bo", T0 + timedelta(minutes=1))
    store.add_asset("TRI-1", "Tripod", "grip", home="Film cage")
    store.close_stocktake(number, "manager", T0 + timedelta(minutes=30))
    report = store.stocktake_report(number)
    assert [r.code for r in report.seen] == ["CAM-1"]
    assert [r.code for r in report.missing] == ["TRI-1"]
    # later the camera goes out and comes back elsewhere; the tripod turns up: no matter
    feed.checkout("CAM-1", "ada", T0 + timedelta(hours=1))
    KioskFeed(store, "lab-1").give_back("CAM-1", "ada", T0 + timedelta(hours=2))
    feed.seen("TRI-1", "bo", T0 + timedelta(hours=3))
    again = store.stocktake_report(number)
    assert [r.code for r in again.seen] == ["CAM-1"]
    assert [r.code for r in again.missing] == ["TRI-1"]


def test_a_booking_taken_early_is_not_released_as_a_no_show(store: Store) -> None:
    booked = store.add_booking("CAM-1", "ada", T0, T0 + timedelta(hours=4), T0)
    KioskFeed(store).checkout("CAM-1", "ada", T0 - timedelta(minutes=20))  # came early
    assert store.release_no_shows(T0 + timedelta(minutes=1), T0 + timedelta(minutes=31)) == []
    assert [b.asset for b in store.replica_rows(T0).bookings] == ["CAM-1"]
    assert booked > 0


def test_a_repair_cost_must_be_an_amount(store: Store) -> None:
    store.report_problem("MIC-1", "hum", T0, "manager")
    (ticket,) = store.tickets()
    for bad in (Decimal("-1"), Decimal("Infinity"), Decimal("1e12")):
        with pytest.raises(ValueError, match="cost"):
            store.close_ticket(ticket.id, "repaired", T0, "manager", bad)


def test_the_utilization_report_reads_loans_begun_before_its_period(store: Store) -> None:
    feed = KioskFeed(store)
    monday = datetime(2026, 3, 2, tzinfo=UTC)
    feed.checkout("CAM-1", "ada", monday - timedelta(days=2), hours=24 * 4)  # begun before
    feed.give_back("CAM-1", "ada", monday + timedelta(days=1))
    feed.give_back("CAM-1", "ada", monday + timedelta(days=2))  # a repeated return
    feed.give_back("MIC-1", "bo", monday + timedelta(days=3))  # nobody had it
    report = store.report(monday, monday + timedelta(days=7))
    assert report.utilization["camera"][monday] == pytest.approx(24 / 168)
    assert report.utilization["audio"][monday] == 0.0
    assert report.overdue_rate == {monday: (0, 1)}  # one real return, on time
