"""Whether the kiosk's clock is synced, asked of systemd's timedatectl: here a stand-in
timedatectl on PATH answers, or none is there at all."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from kiosk.timesync import TimedatectlSync
from tests.fakes.clock_sync import FakeClockSync
from wire import CustodyEvent, EventType, KioskState, KioskStatus, decode_event, encode_event
from wire.ids import uuid7

KEY = bytes(range(32))


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def fake_timedatectl(folder: Path, answer: str, exit_code: int = 0) -> Path:
    """A timedatectl that prints ``answer`` to the one question the kiosk asks and logs each
    call, so a test sees how often it was run."""
    folder.mkdir(exist_ok=True)
    calls = folder / "calls"
    script = folder / "timedatectl"
    script.write_text(
        "#!/bin/sh\n"
        f"echo \"$*\" >> '{calls}'\n"
        '[ "$*" = "show -p NTPSynchronized --value" ] || exit 1\n'
        f"echo '{answer}'\n"
        f"exit {exit_code}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return calls


def test_no_timedatectl_means_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a laptop or container without systemd's tools
    assert TimedatectlSync().synced() is None


def test_no_means_not_synced_and_yes_means_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    fake_timedatectl(tmp_path / "bin", "no")
    assert TimedatectlSync().synced() is False
    fake_timedatectl(tmp_path / "bin", "yes")
    assert TimedatectlSync().synced() is True


def test_the_answer_is_kept_for_a_while(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    calls = fake_timedatectl(tmp_path / "bin", "no")
    ticks = Ticks()
    sync = TimedatectlSync(ticks, cache_for=30)
    assert sync.synced() is False
    fake_timedatectl(tmp_path / "bin", "yes")  # NTP has synced meanwhile
    ticks.now += 29
    assert sync.synced() is False  # not asked again yet
    ticks.now += 1
    assert sync.synced() is True
    assert calls.read_text().splitlines() == ["show -p NTPSynchronized --value"] * 2


@pytest.mark.parametrize(
    ("answer", "exit_code"),
    [
        ("", 1),  # "System has not been booted with systemd as init system"
        ("maybe", 0),  # an answer it does not understand
    ],
)
def test_a_failure_or_an_odd_answer_means_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: str, exit_code: int
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    fake_timedatectl(tmp_path / "bin", answer, exit_code)
    assert TimedatectlSync().synced() is None


def test_a_timedatectl_that_hangs_is_given_up_on(tmp_path: Path) -> None:
    hang = tmp_path / "timedatectl"
    hang.write_text("#!/bin/sh\nexec sleep 30\n")
    hang.chmod(hang.stat().st_mode | stat.S_IXUSR)
    assert TimedatectlSync(timeout=0.2, command=[str(hang)]).synced() is None


def test_the_fake_says_what_it_is_told() -> None:
    sync = FakeClockSync(False)
    assert sync.synced() is False
    sync.set(None)
    assert sync.synced() is None and sync.asked == 2


def test_clock_synced_is_optional_on_the_wire() -> None:
    status = KioskStatus(kiosk="cage-1", state=KioskState.ONLINE)
    assert "clock_synced" not in status.model_dump_json(exclude_none=True)
    fields = {
        "id": uuid7(1772443805000),
        "kiosk": "cage-1",
        "seq": 1,
        "at": "2026-03-02T09:30:05Z",
        "type": EventType.RETURN,
        "asset": "CAM-0001",
    }
    unknown = encode_event(CustodyEvent.model_validate(fields), KEY)
    assert b"clock_synced" not in unknown  # an older kiosk's event, byte for byte
    said = encode_event(CustodyEvent.model_validate({**fields, "clock_synced": False}), KEY)
    assert b'"clock_synced":false' in said
    assert decode_event(said, lambda _kiosk: KEY).clock_synced is False
    assert decode_event(unknown, lambda _kiosk: KEY).clock_synced is None
