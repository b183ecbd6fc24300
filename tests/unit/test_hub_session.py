"""The hub's broker session: one stable client id per hub process, and its settings in hub.toml."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from hub.config import load_config
from hub.errors import ConfigError
from hub.link import DEFAULT_SESSION_EXPIRY, HubBroker, hub_client_id

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "hub" / "hub.toml.example"
BASE = (
    '[broker]\npassword = "x"\n{broker}\n'
    '[web]\nsecret_key_file = "/nonexistent"\n'  # read only when the dashboard starts
)


def test_the_client_id_is_the_same_at_every_start_and_differs_by_instance() -> None:
    first, again = HubBroker("h", 1, "hub", "pw"), HubBroker("h", 1, "hub", "pw")
    # host and instance, nothing of the process: a restarted hub asks for the session it left
    assert first.client_id == again.client_id == f"cagekeeper-hub-{socket.gethostname()}-main"
    assert hub_client_id("a") != hub_client_id("b")
    assert first.session_expiry == DEFAULT_SESSION_EXPIRY >= 12 * 3600


def test_the_example_keeps_the_session_a_day() -> None:
    broker = load_config(EXAMPLE).broker
    assert (broker.instance, broker.client_id, broker.session_expiry_hours) == ("main", None, 24)


def test_instance_client_id_and_expiry_are_read(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text(
        BASE.format(broker='instance = "b"\nclient_id = "hub-east"\nsession_expiry_hours = 0.5')
    )
    broker = load_config(path).broker
    assert (broker.instance, broker.client_id, broker.session_expiry_hours) == (
        "b",
        "hub-east",
        0.5,
    )


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('instance = "hub a"', "broker.instance"),
        ('instance = ""', "broker.instance"),
        ("session_expiry_hours = -1", "broker.session_expiry_hours"),
        ('client_id = ""', "broker.client_id"),
    ],
)
def test_a_bad_session_setting_is_one_clear_error(tmp_path: Path, line: str, field: str) -> None:
    path = tmp_path / "hub.toml"
    path.write_text(BASE.format(broker=line))
    with pytest.raises(ConfigError, match=field):
        load_config(path)
