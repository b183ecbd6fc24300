"""Badges: one UID rule at the CLI, the people sheet, the kiosk and the wire; the people export
imports back into a fresh hub; a revoked badge can be registered again with its history kept."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from pydantic import ValidationError
from sqlalchemy import column, create_engine, insert, select, table

from hub.cli import cli
from hub.errors import AlreadyExists
from hub.registry_csv import CsvImportError, parse_people
from hub.store import Store
from hub.store.migrate import alembic_config, upgrade
from hub.store.schema import badges, people, replica_changes
from kiosk.app import Devices
from kiosk.console import run_console
from kiosk.drivers.camera import SimulatedScanner
from kiosk.drivers.rfid import SimulatedBadgeReader
from kiosk.screens import CartScreen, DeniedScreen, Screen
from tests.events import KioskFeed
from tests.harness import Cage
from wire import CustodyEvent, EventType
from wire.badges import BadUid, normal_uid
from wire.ids import uuid7

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _config(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "hub-pw").write_text("hub-password")
    (folder / "secret").write_text("s" * 40)
    config = folder / "hub.toml"
    config.write_text(
        f'[hub]\ndatabase = "sqlite:///{folder / "hub.db"}"\n'
        f'[broker]\nhost = "127.0.0.1"\npassword_file = "{folder / "hub-pw"}"\n'
        f'[web]\nsecret_key_file = "{folder / "secret"}"\n'
    )
    return config


def _hub(config: Path):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> str:
        result = runner.invoke(cli, ["-c", str(config), *args])
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    return run


# 4, 7 and 10-byte cards; then lengths no card has, and text that is not hex
GOOD = ["04A1B2C3", "04112233445566", "04A1B2C3D4E5F6A7B8C9"]
BAD = [
    "04A1B2C",
    "04A1B2C3D4",
    "04A1B2C3D4E5",
    "04A1B2C3D4E5F6A7",
    "04A1B2CG",
    "",
    "04A1B2C3D4E5F6A7B8C9D0",
]


def _wire_accepts(uid: str) -> bool:
    try:
        CustodyEvent(
            id=uuid7(1),
            kiosk="cage-1",
            seq=1,
            at=T0,
            type=EventType.ENROLL,
            person="ada",
            badge=uid,
        )
    except ValidationError:
        return False
    return True


def _sheet_accepts(uid: str) -> bool:
    try:
        parse_people(f"id,name,badges\nann,Ann,{uid}\n")
    except CsvImportError:
        return False
    return True


def _rule_accepts(uid: str) -> bool:
    try:
        normal_uid(uid)
    except BadUid:
        return False
    return True


@pytest.mark.parametrize("uid", GOOD + BAD)
def test_cli_sheet_kiosk_and_wire_agree_on_every_uid(tmp_path: Path, uid: str) -> None:
    hub = _hub(_config(tmp_path))
    expected = uid in GOOD
    added = hub("person", "add", "ann", "Ann", "--badge", uid, ok=expected) if uid else ""
    assert _sheet_accepts(uid) is expected or not uid  # an empty cell is no badge at all
    assert _wire_accepts(uid) is expected
    assert _rule_accepts(uid) is expected
    if expected:
        assert "person ann added" in added
    elif uid:
        assert "is not a badge UID" in added and "8, 14 or 20 hex digits" in added


def test_the_cli_reads_a_uid_as_an_nfc_app_shows_it(tmp_path: Path) -> None:
    hub = _hub(_config(tmp_path))
    hub("person", "add", "ann", "Ann", "--badge", "04:a1:b2:c3")
    assert "ann,Ann,,04A1B2C3,,no" in hub("person", "export")
    out = hub("person", "badge", "ann", "04a1b2c3d4", ok=False)
    assert "'04a1b2c3d4' is not a badge UID: it has 10 hex digits" in out


def test_the_kiosk_drops_a_uid_no_card_has(cage: Cage) -> None:
    kiosk = cage.kiosk("cage-1", Devices(badges=SimulatedBadgeReader(), codes=SimulatedScanner()))
    kiosk.wait_replica(10)
    shown: list[Screen] = []
    kiosk.on_screen = shown.append
    kiosk.tap("04A1B2C3D4")  # a misread from a reader: had it gone on, an unknown badge
    out = io.StringIO()

    def typed() -> Iterator[str]:
        yield "tap 04a1b2c3d4"  # typed: refused, with the rule
        yield "tap 04:a1:b2:c3"  # Ada's badge as an NFC app shows it
        kiosk.wait_for_screen(lambda s: isinstance(s, CartScreen), 5)
        yield "cancel"
        yield "quit"

    run_console(kiosk, typed(), out)
    assert "'04a1b2c3d4' is not a badge UID: it has 10 hex digits" in out.getvalue()
    assert kiosk.link is not None and kiosk.link.wait_drained(10)
    # neither reached the session: no refusal shown, none recorded, none the hub refused
    assert [s for s in shown if isinstance(s, DeniedScreen)] == []
    assert any(isinstance(s, CartScreen) for s in shown)
    assert [r.type for r in cage.store.ledger_rows() if r.type == "denied"] == []
    assert cage.store.quarantined() == []


def test_the_people_export_imports_back_into_a_fresh_hub(tmp_path: Path) -> None:
    first = _hub(_config(tmp_path / "first"))
    first("person", "add", "ada", "Ada Lovelace", "--badge", "04A1B2C3", "--email", "a@x.org")
    first("person", "add", "grace", "Hopper, Grace", "--badge", "04112233445566", "--staff")
    first("person", "add", "ten", '"Tenbyte" =SUM(1)', "--badge", "04A1B2C3D4E5F6A7B8C9")
    first("person", "add", "moved", "Moved On", "--badge", "04DDEEFF")
    first("person", "badge", "ada", "04C0FFEE")
    first("person", "revoke-badge", "04DDEEFF")  # a lost card: not exported, not lost either
    first("person", "badge", "ada", "04DDEEFF")  # ... and found again, given to Ada
    sheet = tmp_path / "people.csv"
    first("person", "export", "-o", str(sheet))

    second = _hub(_config(tmp_path / "second"))
    assert "people imported: 4 added" in second("person", "import", str(sheet))
    assert second("person", "export") == first("person", "export")
    fresh = Store.open(f"sqlite:///{tmp_path / 'second' / 'hub.db'}")
    try:
        owners = {b.uid: b.person_id for b in fresh.replica_rows(T0).badges}
    finally:
        fresh.close()
    assert owners == {
        "04A1B2C3": "ada",
        "04C0FFEE": "ada",
        "04DDEEFF": "ada",
        "04112233445566": "grace",
        "04A1B2C3D4E5F6A7B8C9": "ten",
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    s.add_person("ada", "Ada Lovelace", ["04A1B2C3"])
    s.add_person("bo", "Bo Diaz")
    s.add_kiosk("cage-1", "Film cage", T0, location="Film cage")
    yield s
    s.close()


def _history(store: Store, person: str) -> list[tuple[str, bool]]:
    detail = store.person_detail(person, T0)
    assert detail is not None
    return [(b.uid, b.revoked) for b in detail.badges]


def test_a_card_enrolled_to_the_wrong_person_is_moved_with_its_history(store: Store) -> None:
    with pytest.raises(AlreadyExists, match="registered to ada: revoke it first"):
        store.add_badge("bo", "04A1B2C3", T0)
    assert store.revoke_badge("04a1b2c3", T0) == ("ada", True)
    assert store.revoke_badge("04A1B2C3", T0) == ("ada", False)  # again: nothing changes
    store.add_badge("bo", "04A1B2C3", T0)
    assert {b.uid: b.person_id for b in store.replica_rows(T0).badges} == {"04A1B2C3": "bo"}
    assert _history(store, "ada") == [("04A1B2C3", True)]  # who had it before is kept
    assert _history(store, "bo") == [("04A1B2C3", False)]
    # and back to Ada: her old registration stays beside the new one
    store.revoke_badge("04A1B2C3", T0)
    store.add_badge("ada", "04A1B2C3", T0)
    assert _history(store, "ada") == [("04A1B2C3", True), ("04A1B2C3", False)]
    with pytest.raises(AlreadyExists, match="registered to ada already"):
        store.add_badge("ada", "04A1B2C3", T0)


def test_an_old_sheet_does_not_bring_a_revoked_card_back(store: Store) -> None:
    store.revoke_badge("04A1B2C3", T0)
    rows = [{"id": "ada", "name": "Ada Lovelace", "badges": ["04A1B2C3"]}]
    outcome = store.import_people(rows, T0, "manager")
    assert not outcome.stored
    assert "badge 04A1B2C3 was revoked" in outcome.refused[0]
    assert store.replica_rows(T0).badges == []


def test_a_kiosk_can_enrol_a_revoked_card_to_someone_else(store: Store) -> None:
    store.revoke_badge("04A1B2C3", T0)
    later = T0 + timedelta(minutes=1)
    KioskFeed(store)._commit(later, type=EventType.ENROLL, person="bo", badge="04A1B2C3")
    assert [(b.uid, b.person_id) for b in store.replica_rows(T0).badges] == [("04A1B2C3", "bo")]


def test_a_late_enrolment_from_before_a_revocation_does_not_bring_the_card_back(
    store: Store,
) -> None:
    feed = KioskFeed(store)
    store.revoke_badge("04A1B2C3", T0 + timedelta(hours=1))  # reported lost at 10:00
    # enrolled for Bo at an offline kiosk at 9:00, heard of only now
    feed._commit(T0, type=EventType.ENROLL, person="bo", badge="04A1B2C3")
    assert store.replica_rows(T0).badges == []
    # on the dashboard's "Needs attention"
    (conflict,) = [c for c in store.attention().anomalies if "04A1B2C3" in c.detail]
    assert "revoked after it" in conflict.detail
    # enrolled again after the revocation: that one counts
    feed._commit(T0 + timedelta(hours=2), type=EventType.ENROLL, person="bo", badge="04A1B2C3")
    assert [(b.uid, b.person_id) for b in store.replica_rows(T0).badges] == [("04A1B2C3", "bo")]


def test_two_active_registrations_of_one_uid_are_refused_by_the_database(store: Store) -> None:
    with pytest.raises(Exception, match="UNIQUE"), store.engine.begin() as conn:
        conn.execute(insert(badges).values(uid="04A1B2C3", person_id="bo", revoked=False))


def test_the_migration_keeps_badges_and_their_replica_triggers(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0017")
    old = table("badges", column("uid"), column("person_id"), column("revoked"))
    with engine.begin() as conn:
        conn.execute(insert(people).values(id="ada", name="Ada", active=True, staff=False))
        conn.execute(insert(people).values(id="bo", name="Bo", active=True, staff=False))
        conn.execute(insert(old).values(uid="04A1B2C3", person_id="ada", revoked=True))
        conn.execute(insert(old).values(uid="04B0B0B0", person_id="bo", revoked=False))
    upgrade(engine)
    store = Store(engine)
    try:
        assert _history(store, "ada") == [("04A1B2C3", True)]
        with engine.begin() as conn:
            logged = conn.scalar(select(replica_changes.c.id).order_by(replica_changes.c.id.desc()))
        store.add_badge("bo", "04A1B2C3", T0)  # registered again after the upgrade
        with engine.begin() as conn:
            changed = conn.execute(
                select(replica_changes.c.kind, replica_changes.c.key).where(
                    replica_changes.c.id > (logged or 0)
                )
            ).all()
        assert ("person", "bo") in changed  # kiosks hear of it: the triggers were made again
    finally:
        engine.dispose()
