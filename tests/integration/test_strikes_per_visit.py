"""Strikes per visit on a real hub database: two items brought back late together are one
strike (the person's page says how many items), per item they are two and ban; a hub opened
with the other rule re-judges the bans."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.domain.strikes import Count, StrikeRules
from hub.store import Store
from tests.events import KioskFeed

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = StrikeRules(limit=2, term=timedelta(days=30), ban=timedelta(days=7))


def _late_pair(store: Store) -> datetime:
    """Ada borrows two items and brings them back three hours late at a return station: one
    scan each, two minutes apart, so two sessions."""
    feed = KioskFeed(store, "door-1")
    for code in ("CAM-1", "LENS-1"):
        feed.checkout(code, "ada", T0, hours=4)
    back = T0 + timedelta(hours=7)
    feed.give_back("CAM-1", "ada", back, session="return-1")
    feed.give_back("LENS-1", "ada", back + timedelta(minutes=2), session="return-2")
    return back + timedelta(minutes=2)


def _open(path: Path, rules: StrikeRules) -> Store:
    return Store.open(f"sqlite:///{path}", strikes=rules, now=T0 + timedelta(hours=8))


def test_two_items_back_late_together_are_one_strike_and_no_ban(tmp_path: Path) -> None:
    store = _open(tmp_path / "hub.db", RULES)
    store.add_person("ada", "Ada Lovelace", ["04A1B2C3"])
    store.add_kiosk("door-1", "Door", T0 - timedelta(days=1))
    for code in ("CAM-1", "LENS-1"):
        store.add_asset(code, code, "camera")
    now = _late_pair(store)
    assert store.replica_rows(now).strikes == {"ada": 1}
    detail = store.person_detail("ada", now - RULES.term, RULES)
    assert detail is not None and detail.strikes == 1 and detail.late_items == 2
    assert [s.items for s in detail.strike_list] == [2]
    person = next(p for p in store.replica_rows(now).people if p.id == "ada")
    assert person.blocked_until is None  # limit 2: one strike does not ban
    assert store.verify(now) == []
    store.close()

    # the same ledger counted per item: two strikes, and the ban follows at the next open
    per_item = _open(tmp_path / "hub.db", replace(RULES, per=Count.ITEM))
    assert per_item.replica_rows(now).strikes == {"ada": 2}
    person = next(p for p in per_item.replica_rows(now).people if p.id == "ada")
    assert person.blocked_until == now + RULES.ban
    assert person.blocked_reason == "2 late returns in 30 days"
    assert per_item.verify(now) == []
    per_item.close()

    # and back: the ban the strikes made is lifted
    again = _open(tmp_path / "hub.db", RULES)
    person = next(p for p in again.replica_rows(now).people if p.id == "ada")
    assert person.blocked_until is None
    again.close()
