"""Locations as a managed list, on SQLite and PostgreSQL: free-text places of an older database
become the list, a rename reaches everything that names the place, a place in use stays, and
users' cages and kits keep their rules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from hub.errors import AlreadyExists, NotFound
from hub.store import Store
from hub.store.migrate import alembic_config
from hub.store.places import InUse
from hub.web.auth import create_user

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_free_text_places_of_an_older_database_become_the_list(url: str) -> None:
    engine = create_engine(url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0017")
        conn.execute(
            text(
                "INSERT INTO assets (code, name, category, status, home, location,"
                " checkouts_since_service) VALUES"
                " ('CAM-1', 'Cam', 'camera', 'available', 'Film cage', 'Room 2.14', 0),"
                " ('CAM-2', 'Cam', 'camera', 'available', 'Film cage', NULL, 0),"
                " ('CAM-3', 'Cam', 'camera', 'available', NULL, '  ', 0)"
            )
        )
    engine.dispose()
    store = Store.open(url)
    try:
        assert store.location_names() == ["Film cage", "Room 2.14"]
        places = {p.name: p for p in store.places()}
        assert places["Film cage"].assets == 2
    finally:
        store.close()


@pytest.fixture
def store(url: str) -> Store:
    s = Store.open(url)
    s.add_person("ada", "Ada Lovelace")
    s.add_asset("CAM-1", "Canon C70", "camera", home="Film cage")
    s.add_asset("LENS-1", "Zeiss 50mm", "lens", home="Film cage")
    s.add_asset("BAT-1", "Battery", "power", home="Film cage")
    s.add_kiosk("cage-1", "Film cage kiosk", T0, location="Film cage")
    create_user(s, "film", "a long test password", "manager", T0)
    return s


def test_a_rename_reaches_assets_kiosks_and_users(store: Store) -> None:
    assert store.location_names() == ["Film cage"]  # named by the CLI, put on the list
    store.set_user_cages("film", ["Film cage"], T0, "admin")
    store.add_location("Sound store", T0, "admin")
    with pytest.raises(AlreadyExists):
        store.rename_location("Film cage", "Sound store", T0, "admin")
    store.rename_location("Film cage", "Film cage B", T0, "admin")
    assert store.location_names() == ["Film cage B", "Sound store"]
    detail = store.asset_detail("CAM-1")
    assert detail is not None
    assert (detail.asset.home, detail.asset.location) == ("Film cage B",) * 2
    assert [k.location for k in store.kiosk_views()] == ["Film cage B"]
    assert store.user_cages("film") == {"Film cage B"}
    store.close()


def test_a_place_in_use_is_not_removed(store: Store) -> None:
    with pytest.raises(InUse, match="3 assets, 1 kiosk"):
        store.remove_location("Film cage", T0, "admin")
    with pytest.raises(NotFound):
        store.set_user_cages("film", ["Nowhere"], T0, "admin")
    assert store.user_cages("film") == frozenset()
    with pytest.raises(ValueError, match="required"):
        store.add_location("   ", T0, "admin")
    store.close()


def test_kit_pieces_obey_one_kit_each_and_no_nesting(store: Store) -> None:
    store.set_kit_pieces("CAM-1", ["LENS-1", "BAT-1"], T0, "manager")
    assert {p.code for p in store.asset_detail("CAM-1").pieces} == {"LENS-1", "BAT-1"}  # type: ignore[union-attr]
    store.add_asset("CAM-2", "Sony FX3", "camera")
    with pytest.raises(ValueError, match="LENS-1 is a piece of CAM-1"):
        store.set_kit_pieces("CAM-2", ["LENS-1"], T0, "manager")
    with pytest.raises(ValueError, match="CAM-1 is a kit itself"):
        store.set_kit_pieces("CAM-2", ["CAM-1"], T0, "manager")
    with pytest.raises(ValueError, match="a kit cannot be a piece"):
        store.set_kit_pieces("LENS-1", ["CAM-2"], T0, "manager")
    store.set_kit_pieces("CAM-1", ["BAT-1"], T0, "manager")  # the lens leaves the kit
    assert store.asset_detail("LENS-1").asset.kit is None  # type: ignore[union-attr]
    actions = [(e.action, e.target, e.detail) for e in store.audit_entries()]
    assert ("kit.pieces", "CAM-1", "-LENS-1") in actions
    store.close()
