"""deploy/pi/README.md, the operator's path from a blank card to a kiosk, runs as written where
it can run off a Pi: the hub's ``kiosk add --write-config`` makes the config, the README's
additions for a return station go into it, ``cagekeeper-kiosk --check`` accepts both and says
what the README says it says; its wiring table agrees with the Pi's header (gpiozero's board
data) and with the kiosk's config defaults; the systemd units are valid (systemd-analyze);
install.sh parses and installs what exists. Every command in the README is either run here or
listed below as one that needs the Pi or the hub's services, so a new one cannot go unchecked.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from kiosk.config import GpioSection, load_config
from tests.hub_processes import ROOT, hub_command

README = ROOT / "deploy" / "pi" / "README.md"
UNITS = ROOT / "deploy" / "systemd"

# commands that need a Pi, root on a real host, or the hub's running services
ONLY_THERE = (
    "sudo apt-get ",
    "sudo reboot",
    "ls /dev/spidev0.0",
    "rpicam-hello ",
    "cd cagekeeper",
    "sudo deploy/pi/install.sh",
    "systemctl reload mosquitto",
    "scp ",
    "sudo install -o cagekeeper ",
    "rm cage-1.toml",
    "sudo systemctl restart cagekeeper-kiosk",
    "systemctl status cagekeeper-kiosk",
    "timedatectl show ",
    "journalctl -u cagekeeper-kiosk",
)
KIOSK_ADD = "cagekeeper-hub kiosk add "
CHECK = (
    "sudo /opt/cagekeeper/.venv/bin/cagekeeper-kiosk --config /etc/cagekeeper/kiosk.toml --check"
)


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S)


def commands() -> list[str]:
    lines: list[str] = []
    for block in blocks("sh"):
        lines.extend(line for line in block.replace("\\\n", " ").splitlines() if line.strip())
    return lines


def hub_config(folder: Path) -> Path:
    (folder / "hub-pw").write_text("hub-password")
    (folder / "secret").write_text("s" * 40)
    config = folder / "hub.toml"
    config.write_text(
        f'[hub]\ndatabase = "sqlite:///{folder / "hub.db"}"\n'
        f'[broker]\nhost = "hub.example.org"\npassword_file = "{folder / "hub-pw"}"\n'
        f'broker_passwd_file = "{folder / "passwd"}"\n'
        f'[web]\nsecret_key_file = "{folder / "secret"}"\n'
    )
    return config


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the code under test
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def kiosk_command() -> list[str]:
    script = Path(hub_command()[0]).with_name("cagekeeper-kiosk")
    if script.exists():
        return [str(script)]
    return [shutil.which("python3") or "python3", "-m", "kiosk.cli"]


def test_every_command_is_run_here_or_needs_the_pi() -> None:
    found = commands()
    assert any(c.startswith(KIOSK_ADD) for c in found) and CHECK in found
    unknown = [c for c in found if not c.startswith((KIOSK_ADD, CHECK, *ONLY_THERE)) and c != CHECK]
    assert unknown == [], "run these in this test, or list them as needing the Pi"


def test_the_config_from_the_hub_passes_the_kiosks_check_as_written(tmp_path: Path) -> None:
    config = hub_config(tmp_path)
    [add] = [c for c in commands() if c.startswith(KIOSK_ADD)]
    args = shlex.split(add)[1:]
    made = run([*hub_command(), "-c", str(config), *args], tmp_path)
    assert made.returncode == 0, made.stderr
    written = tmp_path / "cage-1.toml"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600  # "readable by root only"
    assert (tmp_path / "passwd").read_text().startswith("cage-1:")  # the broker login

    checked = run([*kiosk_command(), "--config", str(written), "--check"], tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == f"{written}: OK (kiosk cage-1, profile cage)"
    assert "`/etc/cagekeeper/kiosk.toml: OK (kiosk cage-1, profile cage)`" in README.read_text()
    cfg = load_config(written)
    assert cfg.kiosk.name == "Film cage" and cfg.broker.host == "hub.example.org"

    # the return station: the README's additions, and its profile
    [station] = blocks("toml")
    text = written.read_text().replace("[kiosk]\n", '[kiosk]\nprofile = "station"\n', 1)
    written.write_text(text + "\n" + station)
    checked = run([*kiosk_command(), "--config", str(written), "--check"], tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "profile station" in checked.stdout
    gpio = load_config(written).drivers.gpio
    assert (gpio.lock_relay, gpio.door_sensor, gpio.green_led) == (23, 24, 17)


def wiring() -> list[list[str]]:
    section = README.read_text().split("## 3. Wiring", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][2:]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_the_wiring_table_matches_the_header_and_the_config() -> None:
    header = MockFactory().board_info.headers["J8"]
    defaults = GpioSection()
    rows = wiring()
    assert len(rows) >= 12
    for part, _pin, pi_pin, gpio, setting in rows:
        if not pi_pin.isdigit():
            continue
        name = header.pins[int(pi_pin)].name
        if gpio.startswith("GPIO"):
            number = gpio.split()[0]
            assert name == number, f"{part}: pin {pi_pin} is {name}, not {number}"
            named = re.search(r"`(\w+) = (\d+)`", setting)
            if named and named.group(1) in GpioSection.model_fields:
                assert number == f"GPIO{named.group(2)}", part
        else:
            assert name == {"ground": "GND", "3.3 V": "3V3"}[gpio], f"{part}: pin {pi_pin}"
    # pins named in the part's column: "VCC to pin 2 (5 V), GND to pin 14", "ground (pin 30)"
    for part, pin, *_ in rows:
        for n, five in re.findall(r"pin (\d+)( \(5 V\))?", pin):
            kind = "5V" if five else "GND"
            assert header.pins[int(n)].name == kind, f"{part}: pin {n}"
    by_setting = {
        m.group(1): int(m.group(2)) for row in rows if (m := re.search(r"`(\w+) = (\d+)`", row[4]))
    }
    for name in ("green_led", "red_led", "buzzer"):
        assert by_setting[name] == getattr(defaults, name)  # "on by default"
    example = (ROOT / "deploy" / "pi" / "kiosk.toml.example").read_text()
    for name in ("button", "lock_relay", "door_sensor"):
        assert getattr(defaults, name) is None  # "off until you name their pins"
        assert f"# {name} = {by_setting[name]} " in example


def unit_problems(unit: Path, folder: Path) -> str:
    """What systemd-analyze says about a unit, with its program at this venv's path."""
    copy = folder / unit.name
    copy.write_text(
        unit.read_text().replace("/opt/cagekeeper/.venv/bin/", f"{Path(hub_command()[0]).parent}/")
    )
    done = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    lines = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if str(copy) in line or "Unknown" in line or "ignoring" in line or "Refusing" in line
    ]
    return "\n".join(lines) if done.returncode or lines else ""


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
@pytest.mark.skipif(
    not Path(hub_command()[0]).name.startswith("cagekeeper"), reason="no installed scripts"
)
def test_the_service_units_are_valid(tmp_path: Path) -> None:
    units = sorted(UNITS.glob("*.service")) + sorted(UNITS.glob("*.timer"))
    assert {u.name for u in units} >= {
        "cagekeeper-kiosk.service",
        "cagekeeper-backup.service",
        "cagekeeper-backup.timer",
    }
    for unit in units:
        assert unit_problems(unit, tmp_path) == "", unit.name
    # and the check catches a mistake
    bad = tmp_path / "src" / "cagekeeper-backup.timer"
    bad.parent.mkdir()
    bad.write_text((UNITS / bad.name).read_text().replace("OnCalendar=", "OnCalender="))
    assert unit_problems(bad, tmp_path) != ""


def test_install_sh_parses_and_installs_what_exists() -> None:
    script = ROOT / "deploy" / "pi" / "install.sh"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    text = script.read_text()
    for path in re.findall(r"deploy/[\w./-]+", text):
        assert (ROOT / path).exists(), path
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert "/opt/cagekeeper[kiosk,pi]" in text and {"kiosk", "pi"} <= extras.keys()
    hub_install = (ROOT / "deploy" / "hub" / "install.sh").read_text()
    for path in re.findall(r"deploy/[\w./-]+\.(?:md|service|timer)", hub_install):
        assert (ROOT / path).exists(), path  # its closing words point at this README
