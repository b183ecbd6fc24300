"""Custody projection rules, pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.projection import Holding, apply
from wire import CustodyEvent, DenialReason, EventType, ReturnCondition

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def ev(
    seq: int, type_: EventType, person: str | None = "ada", at: datetime = T0, kiosk: str = "cage-1"
) -> CustodyEvent:
    return CustodyEvent(
        id=f"01890000-0000-7000-8000-{seq:012d}",
        kiosk=kiosk,
        seq=seq,
        at=at,
        type=type_,
        person=person,
        asset="CAM-1",
        due=at + timedelta(hours=1) if type_ is EventType.CHECKOUT else None,
        reason=DenialReason.HELD_BY_OTHER if type_ is EventType.DENIED else None,
    )


def test_checkout_then_return() -> None:
    out = apply(None, ev(1, EventType.CHECKOUT))
    assert out.holding is not None and out.holding.person == "ada" and out.touched
    back = apply(out.holding, ev(2, EventType.RETURN, at=T0 + timedelta(minutes=5)))
    assert back.holding is None and back.touched


def test_denial_changes_nothing() -> None:
    assert not apply(None, ev(1, EventType.DENIED)).touched


def test_two_offline_kiosks_lending_one_item_later_wins_and_is_flagged() -> None:
    held = Holding("CAM-1", "ada", T0, T0 + timedelta(hours=1), "cage-1", "x")
    later = apply(
        held,
        ev(2, EventType.CHECKOUT, person="grace", at=T0 + timedelta(minutes=1), kiosk="cage-2"),
    )
    assert later.holding is not None and later.holding.person == "grace"
    assert later.conflict is not None and "held by ada" in later.conflict
    earlier = apply(
        held,
        ev(3, EventType.CHECKOUT, person="grace", at=T0 - timedelta(minutes=1), kiosk="cage-2"),
    )
    assert earlier.holding == held and earlier.conflict is not None and not earlier.touched


def test_two_checkouts_at_the_same_instant_resolve_the_same_whichever_arrives_first() -> None:
    a = ev(4, EventType.CHECKOUT, person="ada", kiosk="cage-1")
    b = ev(5, EventType.CHECKOUT, person="grace", kiosk="cage-2")  # larger id, same time
    for first, second in ((a, b), (b, a)):
        held = apply(None, first).holding
        final = apply(held, second)
        holder = final.holding.person if final.holding else None
        assert holder == "grace" and final.conflict is not None


def test_stale_return_does_not_end_a_newer_loan() -> None:
    held = Holding("CAM-1", "grace", T0, T0 + timedelta(hours=1), "cage-2", "x")
    stale = apply(held, ev(4, EventType.RETURN, at=T0 - timedelta(minutes=1)))
    assert stale.holding == held and not stale.touched


def test_a_damaged_return_sends_the_item_to_maintenance() -> None:
    held = apply(None, ev(1, EventType.CHECKOUT))
    assert held.status == "out"
    damaged = CustodyEvent(
        id="01890000-0000-7000-8000-000000000009",
        kiosk="cage-1",
        seq=9,
        at=T0 + timedelta(hours=1),
        type=EventType.RETURN,
        asset="CAM-1",
        condition=ReturnCondition.DAMAGED,
    )
    back = apply(held.holding, damaged)
    assert back.holding is None and back.status == "maintenance"
    assert apply(None, ev(5, EventType.DENIED)).status is None


def test_extend_moves_the_holders_due_time_only() -> None:
    held = apply(None, ev(1, EventType.CHECKOUT)).holding
    assert held is not None
    later = held.due + timedelta(hours=24)
    extend = CustodyEvent(
        id="01890000-0000-7000-8000-000000000010",
        kiosk="cage-1",
        seq=10,
        at=T0 + timedelta(minutes=30),
        type=EventType.EXTEND,
        person="ada",
        asset="CAM-1",
        due=later,
    )
    out = apply(held, extend)
    assert out.holding is not None and out.holding.due == later and out.holding.renewals == 1
    stranger = extend.model_copy(update={"person": "grace"})
    refused = apply(held, stranger)
    assert refused.holding == held and refused.conflict and not refused.touched
