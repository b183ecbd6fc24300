"""The kiosk's outbox and replica on real SQLite files."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.errors import OutboxError
from kiosk.outbox import AckWatch, Outbox
from kiosk.replica import Replica
from wire import CustodyEvent, EventType, ReturnCondition, decode_event

KEY = b"k" * 32
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def checkout(asset: str = "CAM-1") -> dict[str, object]:
    return {
        "type": EventType.CHECKOUT,
        "person": "ada",
        "asset": asset,
        "due": T0 + timedelta(hours=2),
    }


def test_sequence_numbers_survive_reopen_and_emptying(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", "cage-1", KEY)
    first = box.append(checkout(), T0)
    box.remove([first.id])
    box.close()
    box = Outbox(tmp_path / "o.db", "cage-1", KEY)
    second = box.append(checkout(), T0)
    assert (first.seq, second.seq) == (1, 2)
    [pending] = box.pending()
    assert decode_event(pending.payload, lambda _k: KEY).id == second.id


def test_dead_letters_are_kept_not_resent(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", "cage-1", KEY)
    ev = box.append(checkout(), T0)
    box.dead_letter(ev.id, "schema says no", T0)
    assert box.depth() == 0 and box.dead_letters() == [(ev.id, "schema says no")]


def test_a_corrupt_outbox_is_reported_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(OutboxError, match="left untouched"):
        Outbox(path, "cage-1", KEY)
    assert path.read_bytes().startswith(b"this is not a database")


def test_a_full_disk_is_a_clear_error(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", "cage-1", KEY)
    box.append(checkout(), T0)
    # SQLite's page limit makes the file "full" exactly as a full disk does
    with sqlite3.connect(tmp_path / "o.db") as db:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
    box._db.execute(f"PRAGMA max_page_count={pages}")
    with pytest.raises(OutboxError, match="full"):
        for _ in range(200):
            box.append({**checkout(), "detail": None}, T0)
    assert box.depth() >= 1  # what was stored before is still there


def test_a_cart_is_stored_whole_or_not_at_all(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", "cage-1", KEY)
    first = box.append(checkout(), T0)
    with sqlite3.connect(tmp_path / "o.db") as db:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
    box._db.execute(f"PRAGMA max_page_count={pages + 1}")  # room for a few events, not 300
    cart = [checkout(f"CAM-{n}") for n in range(300)]
    with pytest.raises(OutboxError, match="full"):
        box.append_all(cart, T0)
    assert [p.seq for p in box.pending()] == [first.seq]  # none of the cart half-stored
    box._db.execute("PRAGMA max_page_count=100000")
    stored = box.append_all(cart[:2], T0)
    assert [e.seq for e in stored] == [first.seq + 1, first.seq + 2]
    assert box.depth() == 3


def snapshot(version: int, holdings: list[dict[str, str]], seqs: dict[str, int]) -> bytes:
    return json.dumps(
        {
            "v": 1,
            "version": version,
            "at": "2026-03-02T09:00:00Z",
            "people": [{"id": "ada", "name": "Ada", "badges": ["04A1B2C3"]}],
            "assets": [{"code": "CAM-1", "name": "Camera", "category": "camera"}],
            "holdings": holdings,
            "kiosk_seqs": seqs,
        }
    ).encode()


def test_replica_overlay_until_the_hub_catches_up(tmp_path: Path) -> None:
    replica = Replica(tmp_path / "r.db", "cage-1")
    assert replica.apply_snapshot(snapshot(5, [], {}))
    ev = CustodyEvent(
        id="01890000-0000-7000-8000-000000000001",
        kiosk="cage-1",
        seq=1,
        at=T0,
        type=EventType.CHECKOUT,
        person="ada",
        asset="CAM-1",
        due=T0 + timedelta(hours=1),
    )
    replica.record_all([ev])
    item = replica.item("CAM-1")
    assert item is not None and item.holder == "ada"
    # an older snapshot is ignored; a newer one that does not include our event keeps the overlay
    assert not replica.apply_snapshot(snapshot(4, [], {}))
    assert replica.apply_snapshot(snapshot(6, [], {}))
    assert replica.item("CAM-1").holder == "ada"  # type: ignore[union-attr]
    # after a reopen (power cut) the overlay is still there
    replica = Replica(tmp_path / "r.db", "cage-1")
    assert replica.item("CAM-1").holder == "ada"  # type: ignore[union-attr]
    # a snapshot reflecting seq 1 while seq 1 still waits for its ack keeps the overlay
    assert replica.apply_snapshot(snapshot(7, [], {"cage-1": 1}), unacked={1})
    assert replica.item("CAM-1").holder == "ada"  # type: ignore[union-attr]
    # acked, and the hub says the camera came back meanwhile: the hub wins
    assert replica.apply_snapshot(snapshot(8, [], {"cage-1": 1}))
    assert replica.item("CAM-1").holder is None  # type: ignore[union-attr]
    assert replica.person_by_badge("04a1b2c3") is not None


def test_an_item_returned_damaged_here_is_not_lent_again_before_the_hub_says_so(
    tmp_path: Path,
) -> None:
    replica = Replica(tmp_path / "r.db", "cage-1")
    holding = {"asset": "CAM-1", "person": "ada", "due": "2026-03-02T12:00:00Z"}
    assert replica.apply_snapshot(snapshot(5, [holding], {}))
    back = CustodyEvent(
        id="01890000-0000-7000-8000-000000000002",
        kiosk="cage-1",
        seq=1,
        at=T0,
        type=EventType.RETURN,
        person="ada",
        asset="CAM-1",
        condition=ReturnCondition.DAMAGED,
    )
    replica.record_all([back])
    item = replica.item("CAM-1")
    assert item is not None and item.holder is None and item.in_maintenance
    # still so after a power cut, while the hub is out of reach
    replica = Replica(tmp_path / "r.db", "cage-1")
    assert replica.item("CAM-1").in_maintenance  # type: ignore[union-attr]
    # once the hub has the return, its word (here: repaired already) decides
    assert replica.apply_snapshot(snapshot(6, [], {"cage-1": 1}))
    assert not replica.item("CAM-1").in_maintenance  # type: ignore[union-attr]


def test_a_replica_kept_by_an_older_release_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE overlay (seq INTEGER PRIMARY KEY, type TEXT NOT NULL,"
        " asset TEXT NOT NULL, person TEXT, due TEXT);"
        "INSERT INTO overlay VALUES (1, 'checkout', 'CAM-1', 'ada', '2026-03-02T12:00:00+00:00');"
    )
    old.commit()
    old.close()
    replica = Replica(path, "cage-1")
    assert replica.apply_snapshot(snapshot(5, [], {}))
    assert replica.item("CAM-1").holder == "ada"  # type: ignore[union-attr]


def test_a_view_taken_stays_whole_while_the_replica_moves_on(tmp_path: Path) -> None:
    replica = Replica(tmp_path / "r.db", "cage-1")
    assert not replica.ready and replica.view().version == 0
    holding = {"asset": "CAM-1", "person": "ada", "due": "2026-03-03T09:00:00Z"}
    assert replica.apply_snapshot(snapshot(5, [holding], {}))
    before = replica.view()
    assert replica.ready and [i.code for i, _h in before.loans_of("ada")] == ["CAM-1"]
    returned = CustodyEvent(
        id="01890000-0000-7000-8000-000000000002",
        kiosk="cage-1",
        seq=1,
        at=T0,
        type=EventType.RETURN,
        asset="CAM-1",
        condition=ReturnCondition.DAMAGED,
    )
    replica.record_all([returned])
    assert replica.apply_snapshot(snapshot(6, [], {}))
    # what a reader took before is as it was: no change reaches it half-made
    assert before.version == 5 and [i.code for i, _h in before.loans_of("ada")] == ["CAM-1"]
    assert not before.item("CAM-1").in_maintenance
    now = replica.view()
    assert now.version == 6 and now.loans_of("ada") == []
    assert now.item("CAM-1").in_maintenance
    with pytest.raises(TypeError):
        now.holders["CAM-1"] = before.holders["CAM-1"]


def test_only_time_with_the_hub_reachable_makes_an_event_late() -> None:
    watch = AckWatch(limit=300)
    made = T0 - timedelta(days=3)  # recorded offline long ago, by a clock since corrected
    assert watch.check([(1, made)], reachable=False, monotonic=0) == (0, None)
    assert watch.check([(1, made)], reachable=False, monotonic=7200) == (0, None)  # offline
    assert watch.check([(1, made)], reachable=True, monotonic=7201) == (0, None)
    assert watch.check([(1, made), (2, T0)], reachable=True, monotonic=7400) == (0, None)
    assert watch.check([(1, made), (2, T0)], reachable=False, monotonic=9000) == (0, None)
    assert watch.check([(1, made), (2, T0)], reachable=True, monotonic=9150) == (1, made)
    assert watch.check([(1, made), (2, T0)], reachable=True, monotonic=9400) == (2, made)
    assert watch.check([(2, T0)], reachable=True, monotonic=9405) == (1, T0)  # 1 acked
    assert watch.check([], reachable=True, monotonic=9410) == (0, None)  # caught up


def test_the_outbox_says_what_waits_and_since_when(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", "cage-1", KEY)
    first = box.append(checkout("CAM-1"), T0)
    second = box.append(checkout("CAM-2"), T0 + timedelta(minutes=1))
    assert box.waiting() == [(first.seq, T0), (second.seq, T0 + timedelta(minutes=1))]
