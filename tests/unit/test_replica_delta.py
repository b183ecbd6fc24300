"""Replica deltas: the hub's diff and the kiosk's apply agree, and a kiosk that missed one
waits for the next snapshot instead of guessing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.replica import Replica
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


def _snap(version: int, **changes: object) -> ReplicaSnapshot:
    base = ReplicaSnapshot(
        version=version,
        at=T0 + timedelta(seconds=version),
        people=[
            ReplicaPerson(id="ada", name="Ada Lovelace", badges=["04A1B2C3"]),
            ReplicaPerson(id="bo", name="Bo Diaz", badges=["04B0B0B0"]),
        ],
        assets=[
            ReplicaAsset(code="CAM-1", name="Camera", category="camera"),
            ReplicaAsset(code="LENS-1", name="Lens", category="lens"),
        ],
        holdings=[ReplicaHolding(asset="CAM-1", person="ada", due=T0 + timedelta(hours=4))],
        bookings=[
            ReplicaBooking(asset="LENS-1", person="bo", starts=T0, ends=T0 + timedelta(hours=2))
        ],
        kiosk_seqs={"cage-1": 4},
    )
    return base.model_copy(update=changes)


def _later() -> ReplicaSnapshot:
    return _snap(
        2,
        people=[
            ReplicaPerson(id="ada", name="Ada Lovelace", badges=["04A1B2C3"], strikes=1),
            ReplicaPerson(id="cy", name="Cy Young", badges=["04C0C0C0"]),
        ],
        assets=[
            ReplicaAsset(code="CAM-1", name="Camera", category="camera"),
            ReplicaAsset(code="LENS-1", name="Lens", category="lens", lendable=False),
            ReplicaAsset(code="MIC-1", name="Mic", category="audio"),
        ],
        holdings=[ReplicaHolding(asset="MIC-1", person="cy", due=T0 + timedelta(hours=8))],
        bookings=[],
        policy=ReplicaPolicy(loans={"audio": LoanPeriodSpec(amount=4)}),
        kiosk_seqs={"cage-1": 4, "cage-2": 9},
    )


def test_apply_of_diff_is_the_new_snapshot() -> None:
    old, new = _snap(1), _later()
    delta = diff(old, new)
    assert apply_delta(old, delta) == new
    assert [p.id for p in delta.people] == ["ada", "cy"] and delta.people_removed == ["bo"]
    assert [a.code for a in delta.assets] == ["LENS-1", "MIC-1"]
    assert delta.holdings_removed == ["CAM-1"] and delta.bookings == {"LENS-1": []}
    assert delta.kiosk_seqs == {"cage-2": 9} and delta.policy is not None


def test_one_loan_in_a_big_registry_travels_as_a_small_delta() -> None:
    assets = [
        ReplicaAsset(code=f"CAM-{n:04d}", name=f"Camera {n}", category="camera")
        for n in range(2000)
    ]
    old = _snap(1, assets=assets)
    lent = ReplicaHolding(asset="CAM-0042", person="bo", due=T0 + timedelta(hours=3))
    new = _snap(2, assets=assets, holdings=[lent, *old.holdings])  # sorted, as the hub sends
    delta = diff(old, new)
    assert delta.holdings == [lent] and delta.assets == []
    assert len(delta.model_dump_json()) * 100 < len(new.model_dump_json())
    assert apply_delta(old, delta) == new


def test_an_unchanged_registry_gives_an_empty_delta() -> None:
    delta = diff(_snap(1), _snap(2))
    assert not (delta.people or delta.assets or delta.holdings) and delta.policy is None
    assert apply_delta(_snap(1), delta) == _snap(2)


def test_a_delta_for_another_version_is_refused() -> None:
    with pytest.raises(ValueError, match="does not apply"):
        apply_delta(_snap(3), diff(_snap(1), _later()))


def test_the_kiosk_applies_deltas_in_order_and_keeps_them_across_a_restart(
    tmp_path: Path,
) -> None:
    replica = Replica(tmp_path / "r.db", "cage-1")
    assert replica.apply_snapshot(_snap(1).model_dump_json().encode())
    later = _later()
    assert replica.apply_delta(diff(_snap(1), later).model_dump_json().encode())
    assert replica.version == 2
    assert replica.item("MIC-1") is not None and replica.item("MIC-1").holder == "cy"  # type: ignore[union-attr]
    assert replica.person_by_badge("04B0B0B0") is None  # Bo left
    # one missed: the next delta is skipped, the version stays until a snapshot comes
    skipped = diff(_snap(3), _snap(4))
    assert not replica.apply_delta(skipped.model_dump_json().encode())
    assert replica.version == 2
    # a replayed (older) delta changes nothing either
    assert not replica.apply_delta(diff(_snap(1), later).model_dump_json().encode())
    reopened = Replica(tmp_path / "r.db", "cage-1")
    assert reopened.version == 2 and reopened.item("CAM-1").holder is None  # type: ignore[union-attr]
    assert not reopened.apply_delta(b'{"v": 1, "base": 2}')  # malformed: kept as it was
    assert reopened.version == 2
