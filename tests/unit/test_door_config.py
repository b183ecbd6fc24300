"""The kiosk's [door] section and the PIN lockouts kept on disk."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.cli import app_settings
from kiosk.config import load_config
from kiosk.errors import ConfigError
from kiosk.lockout_file import LockoutFile
from kiosk.pin_lockout import PinLockouts
from kiosk.session import DoorSettings
from tests.session_steps import T0
from tests.unit.test_config import DEPLOY, MINIMAL


def _load(tmp_path: Path, text: str) -> DoorSettings:
    path = tmp_path / "kiosk.toml"
    path.write_text(MINIMAL + text)
    return app_settings(load_config(path)).session.door


def test_a_pin_is_required_unless_the_config_says_otherwise(tmp_path: Path) -> None:
    assert _load(tmp_path, "") == DoorSettings()
    assert DoorSettings().require_pin and DoorSettings().attempts == 5
    shipped = load_config(DEPLOY / "pi" / "kiosk.toml.example").door.settings()
    assert shipped.require_pin
    door = _load(
        tmp_path,
        "[door]\nrequire_pin = false\npin_attempts = 3\npin_lockout_s = 900\npin_timeout_s = 20\n",
    )
    assert door == DoorSettings(
        require_pin=False,
        attempts=3,
        lockout=timedelta(minutes=15),
        timeout=timedelta(seconds=20),
    )


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[door]\nrequire_pin = 'yes please'\n", "door.require_pin"),
        ("[door]\npin_attempts = 0\n", "door.pin_attempts"),
        ("[door]\npin_lockout_s = -1\n", "door.pin_lockout_s"),
        ("[door]\npin_timeout_s = 0\n", "door.pin_timeout_s"),
        ("[door]\npin = '1234'\n", "door.pin"),  # PINs live at the hub, never in a file
    ],
)
def test_door_mistakes_are_named(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(MINIMAL + text)
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_config(path)


def test_lockouts_are_kept_on_disk(tmp_path: Path) -> None:
    lockout = timedelta(minutes=5)
    guard, _ = PinLockouts().wrong("0A0B0C0D", T0, 1, lockout)
    guard, _ = guard.wrong("0E0E0E0E", T0, 5, lockout)
    kept = LockoutFile(tmp_path / "data" / "pin-lockouts.json")
    assert kept.load() == PinLockouts()  # none yet
    kept.save(guard)
    again = LockoutFile(tmp_path / "data" / "pin-lockouts.json").load()
    assert again == guard
    assert again.locked_until("0A0B0C0D", T0) == T0 + lockout
    assert again.wrong_in_a_row("0E0E0E0E", T0, lockout) == 1
    assert not [p for p in (tmp_path / "data").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[1, 2]",
        '[{"badge": "A"}]',
        '[{"badge": "A", "wrong": 1, "last": "yesterday", "locked_until": null}]',
        '[{"badge": "A", "wrong": 1, "last": "2026-03-02T09:30:00", "locked_until": null}]',
    ],
)
def test_an_unreadable_lockout_file_starts_empty_and_says_so(
    tmp_path: Path, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "pin-lockouts.json"
    path.write_text(text)
    with caplog.at_level(logging.ERROR):
        assert LockoutFile(path).load() == PinLockouts()
    assert "unreadable" in caplog.text


def test_a_lockout_file_that_cannot_be_written_is_logged_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "blocker").write_text("a file where the folder should be")
    kept = LockoutFile(tmp_path / "blocker" / "pin-lockouts.json")
    guard, _ = PinLockouts().wrong("0A0B0C0D", T0, 1, timedelta(minutes=5))
    with caplog.at_level(logging.ERROR):
        kept.save(guard)
    assert "could not save the PIN lockouts" in caplog.text
    assert kept.saved == PinLockouts()  # tried again at the next change
