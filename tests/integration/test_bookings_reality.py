"""Bookings on a real hub database: refused over a current loan and without the training, in
the cage's time from the CLI, and a no-show that says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from hub.cli import cli
from hub.errors import BookingConflict
from hub.store import Store
from hub.store.schema import audit_log, bookings
from tests.events import KioskFeed

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    s.add_person("ada", "Ada Lovelace", ["04A1B2C3"])
    s.add_person("bo", "Bo Diaz", ["04B0B0B0"])
    s.add_kiosk("cage-1", "Film cage", T0 - timedelta(days=1))
    s.add_asset("CAM-1", "Canon C70", "camera")
    return s


def _count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(bookings)) or 0)


def test_an_item_out_on_loan_cannot_be_booked_before_it_is_due_back(store: Store) -> None:
    KioskFeed(store).checkout("CAM-1", "ada", T0, hours=48)
    with pytest.raises(BookingConflict, match="on loan to ada until Wed 04 Mar 2026 14:00 UTC"):
        store.add_booking("CAM-1", "bo", T0 + timedelta(days=1), T0 + timedelta(days=3), T0)
    assert _count(store) == 0  # nothing half made
    # from the due time on it can, and Ada may book what she holds
    store.add_booking("CAM-1", "bo", T0 + timedelta(hours=48), T0 + timedelta(days=3), T0)
    store.add_booking("CAM-1", "ada", T0 + timedelta(hours=1), T0 + timedelta(hours=40), T0)
    assert _count(store) == 2


def test_an_untrained_or_expired_booker_is_refused(store: Store) -> None:
    store.require_training("camera", "cinema-1")
    starts, ends = T0 + timedelta(days=2), T0 + timedelta(days=3)
    with pytest.raises(BookingConflict, match="bo does not hold the cinema-1 training"):
        store.add_booking("CAM-1", "bo", starts, ends, T0)
    store.grant_training("bo", "cinema-1", T0 + timedelta(days=1))
    with pytest.raises(BookingConflict, match=r"expires .* before the booking starts"):
        store.add_booking("CAM-1", "bo", starts, ends, T0)
    store.grant_training("bo", "cinema-1", None)
    store.add_booking("CAM-1", "bo", starts, ends, T0)
    assert _count(store) == 1


def test_a_booking_whose_item_never_came_back_is_not_a_no_show(store: Store) -> None:
    """Booked while free; then lent to Ada (the booking starts after her due time), who is late:
    Bo could not pick it up, so the sweeper logs no no-show against him."""
    booked = store.add_booking("CAM-1", "bo", T0 + timedelta(hours=5), T0 + timedelta(hours=9), T0)
    KioskFeed(store).checkout("CAM-1", "ada", T0 + timedelta(minutes=1), hours=4)
    later = T0 + timedelta(hours=6)
    assert store.release_no_shows(later - timedelta(minutes=30), later) == []
    detail = store.asset_detail("CAM-1")
    assert detail is not None
    assert [(b.id, b.state) for b in detail.bookings] == [(booked, "booked")]


def test_a_no_show_shows_as_no_show_and_a_cancellation_as_cancelled(store: Store) -> None:
    first = store.add_booking("CAM-1", "bo", T0 + timedelta(hours=1), T0 + timedelta(hours=3), T0)
    second = store.add_booking("CAM-1", "ada", T0 + timedelta(hours=4), T0 + timedelta(hours=6), T0)
    store.cancel_booking(second)
    later = T0 + timedelta(hours=2)
    assert store.release_no_shows(later - timedelta(minutes=30), later) == [first]
    detail = store.asset_detail("CAM-1")
    assert detail is not None
    states = {b.id: b.state for b in detail.bookings}
    assert states == {first: "no-show", second: "cancelled"}
    with store.engine.connect() as conn:
        actions = list(conn.scalars(select(audit_log.c.action)))
    assert "booking.no_show" in actions


def _config(tmp_path: Path, tz: str) -> Path:
    (tmp_path / "hub-pw").write_text("hub-password")
    (tmp_path / "secret").write_text("s" * 40)
    config = tmp_path / "hub.toml"
    config.write_text(
        f'[hub]\ndatabase = "sqlite:///{tmp_path / "hub.db"}"\ntimezone = "{tz}"\n'
        f'[broker]\nhost = "127.0.0.1"\npassword_file = "{tmp_path / "hub-pw"}"\n'
        f'[web]\nsecret_key_file = "{tmp_path / "secret"}"\n'
    )
    return config


def test_the_cli_books_and_explains_in_the_cage_s_time(store: Store, tmp_path: Path) -> None:
    config = _config(tmp_path, "America/New_York")
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, ["-c", str(config), *args])
        return result.exit_code, result.output + str(result.exception or "")

    code, out = run("booking", "add", "cam-1", "bo", "2099-03-02T09:00", "2099-03-02T17:00")
    assert code == 0, out
    assert "Mon 02 Mar 2099 09:00 EST to Mon 02 Mar 2099 17:00 EST" in out
    with store.engine.connect() as conn:
        starts = conn.scalar(select(bookings.c.starts))
    assert starts == datetime(2099, 3, 2, 14, 0, tzinfo=UTC)  # stored in UTC
    # a clash is explained in the same zone it was typed in
    code, out = run("booking", "add", "cam-1", "ada", "2099-03-02T12:00", "2099-03-02T13:00")
    assert code != 0
    assert "booked by bo from Mon 02 Mar 2099 09:00 EST to Mon 02 Mar 2099 17:00 EST" in out
    code, out = run("booking", "add", "cam-1", "ada", "2099-03-08T02:30", "2099-03-08T05:00")
    assert code != 0 and "does not exist in America/New_York" in out
    code, out = run("booking", "list", "--days", "36500")
    assert code == 0 and "09:00 EST" in out and "\tbooked" in out
