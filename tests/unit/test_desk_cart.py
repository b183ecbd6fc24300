"""The desk's cart decides as a kiosk's does (rules.lending), plus what only a manager may do:
lend despite a refusal about the person, never despite one about the item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.desk.cart import Line, entries, lines_for
from hub.desk.visit import BadVisit, Visit, asset_code
from rules.lending import Action, Booking, Item, Person
from wire import (
    DenialReason,
    EventType,
    LabelError,
    LoanPeriodSpec,
    ReplicaPolicy,
    ReturnCondition,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ADA = Person("ada", "Ada")
BANNED = Person("bob", "Bob", blocked_until=NOW + timedelta(days=3))
POLICY = ReplicaPolicy(max_items=2)


def _kit(holder: str | None = None) -> dict[str, Item]:
    body = Item("BODY", "Body", "camera", holder=holder)
    lens = Item("LENS", "Lens", "camera", holder=holder)
    kit = Item("KIT", "Kit", "camera", holder=holder, members=(body, lens))
    return {"KIT": kit}


def _actions(lines: list[Line]) -> list[tuple[str, Action, DenialReason | None]]:
    return [(ln.code, ln.action, ln.reason) for ln in lines]


def test_a_kit_brings_its_pieces_and_the_item_limit_counts_them() -> None:
    lines = lines_for(ADA, {}, ["KIT"], _kit(), {}, NOW, ReplicaPolicy(max_items=3))
    assert _actions(lines) == [
        ("KIT", Action.CHECKOUT, None),
        ("BODY", Action.CHECKOUT, None),
        ("LENS", Action.CHECKOUT, None),
    ]
    assert [ln.kit for ln in lines] == [None, "KIT", "KIT"]
    limited = lines_for(ADA, {}, ["KIT"], _kit(), {}, NOW, POLICY)
    assert limited[-1].reason is DenialReason.ITEM_LIMIT


def test_an_override_covers_person_refusals_and_the_kits_pieces_but_never_the_item() -> None:
    plain = lines_for(BANNED, {}, ["KIT"], _kit(), {}, NOW, ReplicaPolicy())
    assert _actions(plain) == [("KIT", Action.REFUSED, DenialReason.BLOCKED)]
    assert plain[0].overridable
    given = lines_for(BANNED, {}, ["KIT"], _kit(), {"KIT": "approved"}, NOW, ReplicaPolicy())
    assert [ln.action for ln in given] == [Action.CHECKOUT] * 3
    assert {ln.override for ln in given} == {"approved"}
    assert given[0].due == NOW + timedelta(hours=24)

    other = lines_for(BANNED, {}, ["KIT"], _kit(holder="eve"), {"KIT": "please"}, NOW, POLICY)
    assert _actions(other) == [("KIT", Action.REFUSED, DenialReason.HELD_BY_OTHER)]
    assert not other[0].overridable
    repair = {"CAM": Item("CAM", "Cam", "camera", in_maintenance=True)}
    [fixed] = lines_for(ADA, {}, ["CAM"], repair, {"CAM": "it is fine"}, NOW, POLICY)
    assert fixed.action is Action.REFUSED and not fixed.overridable


def test_a_booking_by_someone_else_is_refused_unless_overridden() -> None:
    soon = Booking("eve", NOW + timedelta(hours=2), NOW + timedelta(hours=6))
    found = {"CAM": Item("CAM", "Cam", "camera", bookings=(soon,))}
    [line] = lines_for(ADA, {}, ["CAM"], found, {}, NOW, POLICY)
    assert line.reason is DenialReason.BOOKED_BY_OTHER and line.overridable
    mine = {"CAM": Item("CAM", "Cam", "camera", bookings=(Booking("ada", soon.starts, soon.ends),))}
    assert lines_for(ADA, {}, ["CAM"], mine, {}, NOW, POLICY)[0].action is Action.CHECKOUT


def test_overdue_loans_block_new_ones_but_not_returns() -> None:
    held = {"OLD": NOW - timedelta(hours=1)}
    found = {"OLD": Item("OLD", "Old", "camera", holder="ada"), "NEW": Item("NEW", "New", "camera")}
    strict = ReplicaPolicy(block_when_overdue=True)
    lines = lines_for(ADA, held, ["NEW", "OLD"], found, {}, NOW, strict)
    assert _actions(lines) == [
        ("NEW", Action.REFUSED, DenialReason.OVERDUE_ITEMS),
        ("OLD", Action.RETURN, None),
    ]


def test_check_in_without_a_person_takes_back_from_each_holder() -> None:
    found = {**_kit(holder="ada"), "FREE": Item("FREE", "Free", "camera")}
    lines = lines_for(None, {}, ["KIT", "FREE", "GONE"], found, {}, NOW, POLICY)
    assert _actions(lines) == [
        ("KIT", Action.RETURN, None),
        ("BODY", Action.RETURN, None),
        ("LENS", Action.RETURN, None),
        ("FREE", Action.REFUSED, None),
        ("GONE", Action.REFUSED, DenialReason.UNKNOWN_ITEM),
    ]
    missing = {"LENS": ReturnCondition.MISSING_PART}
    made = entries(lines, None, missing, "manager")
    assert [(e.type, e.asset, e.person, e.condition, e.detail) for e in made] == [
        (EventType.RETURN, "KIT", "ada", ReturnCondition.MISSING_PART, "missing: LENS"),
        (EventType.RETURN, "BODY", "ada", ReturnCondition.OK, None),
    ]


def test_an_override_reason_is_clipped_to_the_wire_limit() -> None:
    given = lines_for(BANNED, {}, ["KIT"], _kit(), {"KIT": "x" * 150}, NOW, ReplicaPolicy())
    made = entries(given, BANNED, {}, "m" * 80)
    assert all(len(e.detail or "") <= 200 for e in made)


def test_scanned_text_and_the_pages_state_are_checked() -> None:
    assert asset_code(" cam-0001 ") == "CAM-0001"
    assert asset_code("CK1:CAM-0001") == "CAM-0001"
    assert asset_code("https://hub.example/a/CAM-0001") == "CAM-0001"
    for junk in ("", "WIFI:S:x;P:y;;", "two words", "CK9:X", "https://elsewhere/x"):
        try:
            asset_code(junk)
        except LabelError:
            continue
        raise AssertionError(f"{junk!r} was taken for a code")
    visit = Visit.start(NOW, "ada").adding("CAM-1").overriding("CAM-1", "  fine   by me ")
    assert (
        Visit.parse({n: [v for k, v in visit.fields() if k == n] for n in dict(visit.fields())})
        == visit
    )
    assert visit.overrides == {"CAM-1": "fine by me"}
    for bad in (
        {"visit": ["x"]},
        {"visit": [visit.id], "code": ["a b"]},
        {"visit": [visit.id, visit.id]},
    ):
        try:
            Visit.parse(bad)
        except BadVisit:
            continue
        raise AssertionError(f"{bad} was accepted")


def test_a_kit_goes_out_whole_at_one_due_time_or_not_at_all() -> None:
    """As at a kiosk (rules.kits): the earliest due time of the kit's and its pieces'
    categories, and a piece that cannot go keeps the whole kit in, named on its line."""
    body = Item("BODY", "Body", "camera")
    lens = Item("LENS", "Lens", "lens")
    kit = {"KIT": Item("KIT", "Kit", "camera", members=(body, lens))}
    policy = ReplicaPolicy(
        loans={"camera": LoanPeriodSpec(amount=72), "lens": LoanPeriodSpec(amount=24)}
    )
    lines = lines_for(ADA, {}, ["KIT"], kit, {}, NOW, policy)
    assert [ln.action for ln in lines] == [Action.CHECKOUT] * 3
    assert {ln.due for ln in lines} == {NOW + timedelta(hours=24)}

    away = Item("LENS", "Lens", "lens", holder="eve")
    held_back = {"KIT": Item("KIT", "Kit", "camera", members=(body, away))}
    [line] = lines_for(ADA, {}, ["KIT"], held_back, {"KIT": "please"}, NOW, policy)
    assert line.action is Action.REFUSED and line.reason is DenialReason.HELD_BY_OTHER
    assert line.text is not None and line.text.startswith("Lens (LENS) cannot go")
    assert not line.overridable  # the piece is someone else's: no manager's reason lends it
    assert line.detail is not None and line.detail.startswith("kit KIT held back by LENS: ")


def test_a_kit_comes_back_with_only_the_pieces_still_out() -> None:
    body = Item("BODY", "Body", "camera", holder="ada")
    lens = Item("LENS", "Lens", "camera")  # brought back on its own earlier
    kit = {"KIT": Item("KIT", "Kit", "camera", holder="ada", members=(body, lens))}
    lines = lines_for(ADA, {"KIT": NOW, "BODY": NOW}, ["KIT"], kit, {}, NOW, ReplicaPolicy())
    assert _actions(lines) == [("KIT", Action.RETURN, None), ("BODY", Action.RETURN, None)]
    at_the_counter = lines_for(None, {}, ["KIT"], kit, {}, NOW, ReplicaPolicy())
    assert [ln.code for ln in at_the_counter] == ["KIT", "BODY"]
