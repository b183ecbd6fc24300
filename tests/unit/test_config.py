"""Configuration files: the shipped examples load, mistakes become one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import load_config as load_hub_config
from hub.errors import ConfigError as HubConfigError
from kiosk.config import load_config as load_kiosk_config
from kiosk.errors import ConfigError

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
MINIMAL = '[kiosk]\nid = "cage-1"\n[signing]\nkey="' + "a" * 64 + '"\n[broker]\npassword="x"\n'


def test_shipped_examples_are_valid() -> None:
    kiosk = load_kiosk_config(DEPLOY / "pi" / "kiosk.toml.example")
    assert kiosk.kiosk.id == "cage-1" and kiosk.broker_username() == "cage-1"
    hub = load_hub_config(DEPLOY / "hub" / "hub.toml.example")
    assert hub.broker.username == "hub"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[kiosk\nid = 1", "not valid TOML"),
        (
            '[kiosk]\nid = "Cage 1"\n[signing]\nkey="' + "a" * 64 + '"\n[broker]\npassword="x"',
            "kiosk.id",
        ),
        ('[kiosk]\nid = "cage-1"\n[broker]\npassword="x"', "give exactly one of key or key_file"),
        (
            '[kiosk]\nid = "cage-1"\ncolour = "red"\n[signing]\nkey="'
            + "a" * 64
            + '"\n[broker]\npassword="x"',
            "kiosk.colour: Extra inputs are not permitted",
        ),
        (
            MINIMAL + "[drivers.gpio]\nlock_relay = 28",
            "drivers.gpio.lock_relay: Input should be less than or equal to 27",
        ),
        (
            MINIMAL + "[drivers.gpio]\nbutton = -1",
            "drivers.gpio.button: Input should be greater than or equal to 0",
        ),
        (
            MINIMAL + "[drivers.gpio]\nlock_relay = 22",
            "drivers.gpio: .*buzzer and lock_relay both use pin 22",
        ),
        (
            MINIMAL + "[drivers.gpio]\ngreen_led = 5\nred_led = 6\nbuzzer = 7\nbutton = 5",
            "drivers.gpio: .*green_led and button both use pin 5",
        ),
        (
            MINIMAL + '[drivers.gpio]\nbuzzer_active_high = "low"',
            "drivers.gpio.buzzer_active_high: Input should be a valid boolean",
        ),
        (
            MINIMAL + "[drivers.gpio]\ngreen_led = true",
            "drivers.gpio.green_led: Input should be a valid integer",
        ),
        (
            MINIMAL + "[drivers.display]\nwidth = 800",
            "drivers.display: .*give both width and height, or neither",
        ),
        (
            MINIMAL + "[drivers.display]\nheight = 480",
            "drivers.display: .*give both width and height, or neither",
        ),
        (
            MINIMAL + "[drivers.display]\nwidth = 160\nheight = 120",
            "drivers.display.width: Input should be greater than or equal to 320",
        ),
    ],
)
def test_kiosk_config_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_kiosk_config(path)
    assert str(path) in str(info.value)


def test_kiosk_example_gpio_and_display_options(tmp_path: Path) -> None:
    text = (DEPLOY / "pi" / "kiosk.toml.example").read_text()
    options = ("# buzzer_active_high", "# width", "# height", "# lock_relay", "# door_sensor")
    enabled = "\n".join(
        line[2:].replace("true", "false") if line.startswith(options) else line
        for line in text.splitlines()
    )
    path = tmp_path / "kiosk.toml"
    path.write_text(enabled)
    cfg = load_kiosk_config(path)
    gpio, display = cfg.drivers.gpio, cfg.drivers.display
    assert gpio.buzzer_active_high is False and (gpio.lock_relay, gpio.door_sensor) == (23, 24)
    assert (display.width, display.height) == (800, 480)
    assert load_kiosk_config(DEPLOY / "pi" / "kiosk.toml.example").drivers.gpio.buzzer_active_high


def test_false_unfits_a_device_that_has_a_default_pin(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(MINIMAL + "[drivers.gpio]\ngreen_led = false\ndoor_sensor = 17")
    gpio = load_kiosk_config(path).drivers.gpio
    assert (gpio.green_led, gpio.door_sensor) == (None, 17)


def test_missing_files_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_kiosk_config(tmp_path / "nope.toml")
    with pytest.raises(HubConfigError, match="cannot read"):
        load_hub_config(tmp_path / "nope.toml")
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[kiosk]\nid = "cage-1"\n[broker]\npassword="x"\n'
        f'[signing]\nkey_file="{tmp_path / "missing.key"}"\n'
    )
    cfg = load_kiosk_config(path)
    with pytest.raises(ConfigError, match="cannot read the signing key"):
        cfg.signing_key()


def test_opening_hours_in_the_hub_config(tmp_path: Path) -> None:
    text = (DEPLOY / "hub" / "hub.toml.example").read_text()
    enabled = "\n".join(
        line[2:]
        if line.startswith(
            ("# [hub.opening", "# tz", "# closed", "# mon", "# tue", "# wed", "# thu", "# fri")
        )
        else line
        for line in text.splitlines()
    )
    path = tmp_path / "hub.toml"
    path.write_text(enabled)
    opening = load_hub_config(path).hub.opening
    assert opening is not None and opening.tz == "Europe/London"
    assert opening.weekly["fri"] == ("09:00", "16:00") and len(opening.closed) == 3
    path.write_text(enabled.replace("Europe/London", "Mars/Olympus"))
    with pytest.raises(HubConfigError, match="unknown time zone"):
        load_hub_config(path)


def test_alert_channels_in_the_hub_config(tmp_path: Path) -> None:
    text = (DEPLOY / "hub" / "hub.toml.example").read_text()
    section = False
    lines = []
    for line in text.splitlines():
        if line.startswith(("# [alerts.email]", "# [alerts.webhook]")):
            section = True
        elif not line.startswith("# ") or line.startswith("# Webhook"):
            section = line.startswith("# [alerts") and section
        lines.append(line[2:] if section and line.startswith("# ") else line)
    path = tmp_path / "hub.toml"
    path.write_text("\n".join(lines))
    alerts = load_hub_config(path).alerts
    assert alerts.email is not None and alerts.email.managers == ["cage-manager@example.edu"]
    assert alerts.webhook is not None and alerts.webhook.url.startswith("https://")
    path.write_text(text.replace("lost_after_days = 14", "lost_after_days = 0.5"))
    with pytest.raises(HubConfigError, match="escalate_after_hours must come before"):
        load_hub_config(path)


def _hub_toml(tmp_path: Path, hub_lines: str) -> Path:
    text = (DEPLOY / "hub" / "hub.toml.example").read_text()
    path = tmp_path / "hub.toml"
    path.write_text(text.replace("default_loan_hours = 24\n", hub_lines))
    return path


def test_the_default_loan_in_hours_as_before_or_in_minutes(tmp_path: Path) -> None:
    hours = load_hub_config(_hub_toml(tmp_path, "default_loan_hours = 2\n")).hub
    assert (hours.default_loan().kind, hours.default_loan().amount) == ("hours", 2)
    minutes = load_hub_config(_hub_toml(tmp_path, "default_loan_minutes = 30\n")).hub
    assert (minutes.default_loan().kind, minutes.default_loan().amount) == ("minutes", 30)
    unset = load_hub_config(_hub_toml(tmp_path, "")).hub
    assert (unset.default_loan().kind, unset.default_loan().amount) == ("hours", 24)
    both = "default_loan_hours = 2\ndefault_loan_minutes = 30\n"
    with pytest.raises(HubConfigError, match="default_loan_hours or default_loan_minutes"):
        load_hub_config(_hub_toml(tmp_path, both))
    with pytest.raises(HubConfigError, match="default_loan_minutes"):
        load_hub_config(_hub_toml(tmp_path, "default_loan_minutes = 0\n"))


def test_the_cage_time_zone_and_how_strikes_count_are_checked(tmp_path: Path) -> None:
    text = (DEPLOY / "hub" / "hub.toml.example").read_text()
    hub = load_hub_config(DEPLOY / "hub" / "hub.toml.example")
    assert hub.strikes.per == "visit" and hub.strikes.visit_minutes == 30
    path = tmp_path / "hub.toml"
    path.write_text(text.replace('timezone = "UTC"', 'timezone = "Europe/Lndon"'))
    with pytest.raises(HubConfigError, match="'Europe/Lndon' is not a time zone name"):
        load_hub_config(path)
    path.write_text(text.replace('per = "visit"', 'per = "return"'))
    with pytest.raises(HubConfigError, match="per"):
        load_hub_config(path)
    path.write_text(text.replace('per = "visit"', 'per = "item"'))
    assert load_hub_config(path).strikes.per == "item"
