"""What the kiosk's replica says a person has booked, from a hub snapshot on disk (SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.replica import Replica
from kiosk.screens import Reservation
from wire import ReplicaAsset, ReplicaBooking, ReplicaPerson, ReplicaSnapshot

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _replica(tmp_path: Path, bookings: list[ReplicaBooking]) -> Replica:
    snap = ReplicaSnapshot(
        version=1,
        at=T0,
        people=[
            ReplicaPerson(id="ada", name="Ada", badges=["04A1B2C3"]),
            ReplicaPerson(id="bo", name="Bo", badges=["04B0B0B0"]),
        ],
        assets=[
            ReplicaAsset(code="CAM-1", name="Camera", category="camera"),
            ReplicaAsset(code="KIT-1", name="C70 kit", category="camera"),
            ReplicaAsset(code="BATT-1", name="Battery", category="battery", kit="KIT-1"),
        ],
        holdings=[],
        bookings=bookings,
    )
    replica = Replica(tmp_path / "replica.db", "cage-1")
    assert replica.apply_snapshot(snap.model_dump_json().encode())
    return replica


def test_a_persons_bookings_are_their_reservations_soonest_first(tmp_path: Path) -> None:
    later = ReplicaBooking(
        asset="CAM-1", person="ada", starts=T0 + timedelta(days=1), ends=T0 + timedelta(days=2)
    )
    kit = ReplicaBooking(asset="KIT-1", person="ada", starts=T0, ends=T0 + timedelta(hours=3))
    theirs = ReplicaBooking(asset="CAM-1", person="bo", starts=T0, ends=T0 + timedelta(hours=3))
    view = _replica(tmp_path, [later, kit, theirs]).view()
    assert view.reservations_of("ada") == (
        Reservation("KIT-1", "C70 kit", kit.starts, kit.ends),
        Reservation("CAM-1", "Camera", later.starts, later.ends),
    )
    assert view.reservations_of("grace") == ()


def test_a_kits_booking_holds_its_pieces_too(tmp_path: Path) -> None:
    """A piece goes out with its kit: someone else scanning it alone meets the kit's booking."""
    kit = ReplicaBooking(asset="KIT-1", person="ada", starts=T0, ends=T0 + timedelta(hours=3))
    replica = _replica(tmp_path, [kit])
    piece = replica.item("BATT-1")
    assert piece is not None and [b.person for b in piece.bookings] == ["ada"]
    whole = replica.item("KIT-1")
    assert whole is not None and [b.person for b in whole.members[0].bookings] == ["ada"]
    assert [b.person for b in whole.bookings] == ["ada"]  # the kit's own, once


def test_a_kit_reserved_whole_is_one_reservation_with_its_pieces_in_it(tmp_path: Path) -> None:
    """The hub books a reserved kit's pieces with it; the kiosk names the kit once, and a piece
    booked on its own, for another window, stays its own reservation."""
    window = {"person": "ada", "starts": T0, "ends": T0 + timedelta(hours=3)}
    kit = ReplicaBooking(asset="KIT-1", **window)
    piece = ReplicaBooking(asset="BATT-1", **window)
    view = _replica(tmp_path / "a", [kit, piece]).view()
    assert view.reservations_of("ada") == (Reservation("KIT-1", "C70 kit", T0, kit.ends),)
    alone = ReplicaBooking(
        asset="BATT-1", person="ada", starts=T0 + timedelta(days=1), ends=T0 + timedelta(days=2)
    )
    view = _replica(tmp_path / "b", [kit, piece, alone]).view()
    assert [r.code for r in view.reservations_of("ada")] == ["KIT-1", "BATT-1"]
