"""The replica kept from changes: its delta is the wire's diff, its whole JSON is the model's,
and it says when time alone changes an entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.replica_state import ASSET, BOOKING, HOLDING, PERSON, LiveReplica
from wire import (
    LoanPeriodSpec,
    ReplicaAsset,
    ReplicaBooking,
    ReplicaHolding,
    ReplicaPerson,
    ReplicaPolicy,
    ReplicaSnapshot,
)
from wire.replica_delta import apply_delta, diff

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _start() -> ReplicaSnapshot:
    return ReplicaSnapshot(
        version=1,
        at=T0,
        people=[
            ReplicaPerson(id="ada", name="Ada Lovelace", badges=["04A1B2C3"]),
            ReplicaPerson(id="zoë", name='Zoë "Z" Ångström', badges=["04B0B0B0"], strikes=2),
        ],
        assets=[
            ReplicaAsset(code="CAM-1", name="Camera", category="camera"),
            ReplicaAsset(code="LENS-1", name="Lens", category="lens"),
        ],
        holdings=[ReplicaHolding(asset="CAM-1", person="ada", due=T0 + timedelta(hours=4))],
        bookings=[
            ReplicaBooking(asset="LENS-1", person="zoë", starts=T0, ends=T0 + timedelta(hours=2)),
            ReplicaBooking(
                asset="LENS-1",
                person="ada",
                starts=T0 + timedelta(hours=3),
                ends=T0 + timedelta(hours=5),
            ),
        ],
        # a category named like the snapshot's own fields must not confuse the JSON splice
        policy=ReplicaPolicy(loans={'people":[],"assets': LoanPeriodSpec(amount=4)}),
        kiosk_seqs={"cage-1": 4},
    )


def _changed(live: LiveReplica) -> None:
    live.put(PERSON, "cy", ReplicaPerson(id="cy", name="Cy", badges=[]))
    live.put(PERSON, "zoë", None)
    live.put(ASSET, "LENS-1", ReplicaAsset(code="LENS-1", name="Lens", category="lens"))  # same
    live.put(ASSET, "MIC-1", ReplicaAsset(code="MIC-1", name="Mic", category="audio"))
    live.put(HOLDING, "CAM-1", None)
    live.put(HOLDING, "MIC-1", ReplicaHolding(asset="MIC-1", person="cy", due=T0))
    live.put(BOOKING, "LENS-1", ())
    live.put_policy(ReplicaPolicy(max_items=2))
    live.put_kiosk_seqs({"cage-1": 4, "door-1": 9})


def test_the_delta_is_the_diff_of_the_two_snapshots() -> None:
    old = _start()
    live = LiveReplica(old)
    _changed(live)
    new = live.snapshot(2, T0 + timedelta(seconds=1))
    delta = live.delta(1, 2, T0 + timedelta(seconds=1))
    assert delta == diff(old, new)
    assert apply_delta(old, delta) == new
    assert [a.code for a in delta.assets] == ["MIC-1"]  # written back unchanged: not sent
    live.published()
    assert live.delta(2, 3, T0) is None


def test_a_change_undone_before_publishing_is_no_change() -> None:
    live = LiveReplica(_start())
    live.put(HOLDING, "CAM-1", None)
    live.put(
        HOLDING, "CAM-1", ReplicaHolding(asset="CAM-1", person="ada", due=T0 + timedelta(hours=4))
    )
    assert live.delta(1, 2, T0) is None


def test_the_whole_json_is_the_models_json() -> None:
    live = LiveReplica(_start())
    assert live.snapshot_json(1, T0) == live.snapshot(1, T0).model_dump_json()
    _changed(live)
    later = T0 + timedelta(minutes=1)
    assert live.snapshot_json(7, later) == live.snapshot(7, later).model_dump_json()


def test_entries_whose_time_comes_are_read_again_once() -> None:
    live = LiveReplica(_start())
    live.expires(PERSON, "ada", T0 + timedelta(hours=1))
    live.expires(BOOKING, "LENS-1", T0 + timedelta(hours=2))
    live.expires(PERSON, "zoë", T0 + timedelta(minutes=30))
    live.expires(PERSON, "zoë", T0 + timedelta(hours=3))  # a later reading moved it
    assert live.expired(T0 + timedelta(minutes=59)) == {}
    assert live.expired(T0 + timedelta(hours=2)) == {PERSON: {"ada"}, BOOKING: {"LENS-1"}}
    assert live.expired(T0 + timedelta(hours=2)) == {}
    live.expires(PERSON, "zoë", None)  # no longer changes with time
    assert live.expired(T0 + timedelta(days=1)) == {}
