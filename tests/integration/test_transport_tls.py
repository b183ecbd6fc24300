"""MQTT over TLS as an operator sets it up: the kiosk config `kiosk add --write-config` writes
carries the broker's CA, and a kiosk with it connects to the broker only when the certificate
chains to that CA and names the host it dialled. There is no plain MQTT port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from click.testing import CliRunner
from paho.mqtt.enums import CallbackAPIVersion

from hub.cli import cli
from hub.localbroker import LocalBroker, LocalPki, make_pki
from kiosk.app import Devices, KioskApp
from kiosk.cli import app_settings
from kiosk.config import load_config
from kiosk.errors import ConfigError
from tests.fakes.wall_clock import FakeWallClock
from tests.mqtt_probe import Probe
from tests.waiting import wait_until
from wire import KioskState, KioskStatus, Topics

HUB_PASSWORD = "hub-password"
NOT_CONNECTED_WITHIN = 3.0  # a kiosk that trusts the broker connects in well under a second


def _hub_config(tmp_path: Path, ca_file: Path, port: int, kiosk_host: str) -> Path:
    (tmp_path / "hub-pw").write_text(HUB_PASSWORD)
    (tmp_path / "secret").write_text("s" * 40)
    config = tmp_path / "hub.toml"
    config.write_text(
        f'[hub]\ndatabase = "sqlite:///{tmp_path / "hub.db"}"\n'
        f'[broker]\nhost = "localhost"\nport = {port}\ntls_ca = "{ca_file}"\n'
        f'kiosk_host = "{kiosk_host}"\npassword_file = "{tmp_path / "hub-pw"}"\n'
        f'broker_passwd_file = "{tmp_path / "broker" / "passwd"}"\n'
        f'[web]\nsecret_key_file = "{tmp_path / "secret"}"\n'
    )
    return config


@pytest.fixture
def broker(tmp_path: Path, broker_pki: LocalPki) -> Iterator[LocalBroker]:
    b = LocalBroker(tmp_path / "broker", {"hub": HUB_PASSWORD}, pki=broker_pki)
    b.folder.mkdir(parents=True)
    b.start()
    yield b
    b.stop()


def _register(tmp_path: Path, broker: LocalBroker, kiosk_host: str = "127.0.0.1") -> Path:
    """`cagekeeper-hub kiosk add cage-1 --write-config`, then the broker re-reads its logins."""
    config = _hub_config(tmp_path, broker.ca_file, broker.port, kiosk_host)
    kiosk_file = tmp_path / "cage-1.toml"
    result = CliRunner().invoke(
        cli, ["-c", str(config), "kiosk", "add", "cage-1", "--write-config", str(kiosk_file)]
    )
    assert result.exit_code == 0, result.output
    assert broker.process is not None
    broker.process.send_signal(1)  # `systemctl reload mosquitto`: the new login
    return kiosk_file


def _run_kiosk(kiosk_file: Path, data: Path) -> KioskApp:
    cfg = load_config(kiosk_file)
    cfg.kiosk.data_dir = data
    app = KioskApp(app_settings(cfg), Devices(), FakeWallClock())
    app.start_in_background()
    return app


def test_the_written_kiosk_config_carries_the_ca_and_the_kiosk_connects_with_it(
    tmp_path: Path, broker: LocalBroker
) -> None:
    kiosk_file = _register(tmp_path, broker)
    text = kiosk_file.read_text()
    assert broker.ca_file.read_text().strip() in text  # the one file copied to the Pi is enough
    cfg = load_config(kiosk_file)
    assert (cfg.broker.host, cfg.broker.port, cfg.broker.tls) == ("127.0.0.1", broker.port, True)
    probe = Probe(broker.port, "hub", HUB_PASSWORD, "status-watch")
    probe.subscribe(Topics().status("cage-1"))
    app = _run_kiosk(kiosk_file, tmp_path / "kiosk")
    try:
        assert app.link is not None and app.link.wait_connected(10), broker.log_tail()
        [message] = probe.wait_for(Topics().status("cage-1"))
        assert KioskStatus.model_validate_json(message.payload).state is KioskState.ONLINE
    finally:
        app.stop()
        probe.close()


def test_a_kiosk_refuses_a_broker_whose_certificate_another_ca_issued(
    tmp_path: Path, broker: LocalBroker
) -> None:
    """Someone else's broker on the hub's address (or a man in the middle) gets no password."""
    kiosk_file = _register(tmp_path, broker)
    impostor = LocalBroker(
        tmp_path / "impostor", dict(broker.users), pki=make_pki(tmp_path / "other-ca")
    )
    impostor.folder.mkdir()
    impostor.start()
    kiosk_file.write_text(kiosk_file.read_text().replace(str(broker.port), str(impostor.port)))
    app = _run_kiosk(kiosk_file, tmp_path / "kiosk")
    try:
        assert app.link is not None
        assert not app.link.wait_connected(NOT_CONNECTED_WITHIN)
        wait_until(lambda: "unknown ca" in impostor.log_tail(50), "the kiosk's TLS alert")
        assert "cage-1" not in impostor.log_tail(200)  # it never got as far as logging in
    finally:
        app.stop()
        impostor.stop()


def test_a_kiosk_refuses_a_certificate_for_another_name(
    tmp_path: Path, broker: LocalBroker, broker_pki: LocalPki
) -> None:
    """The right CA is not enough: the certificate must name the host the kiosk dialled."""
    kiosk_file = _register(tmp_path, broker)
    elsewhere = make_pki(
        tmp_path / "elsewhere", names=("DNS:other-hub.example",), ca_dir=broker_pki.ca_file.parent
    )
    other = LocalBroker(tmp_path / "other", dict(broker.users), pki=elsewhere)
    other.folder.mkdir()
    other.start()
    kiosk_file.write_text(kiosk_file.read_text().replace(str(broker.port), str(other.port)))
    app = _run_kiosk(kiosk_file, tmp_path / "kiosk")
    try:
        assert app.link is not None
        assert not app.link.wait_connected(NOT_CONNECTED_WITHIN)
        assert "cage-1" not in other.log_tail(200)
    finally:
        app.stop()
        other.stop()


def test_the_broker_answers_no_plain_mqtt(broker: LocalBroker) -> None:
    """A client without TLS, with the right password, gets no CONNACK: the listener is TLS
    only, so no password or event ever crosses the network in clear."""
    answered = threading.Event()
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id="plain", protocol=mqtt.MQTTv5
    )
    client.username_pw_set("hub", HUB_PASSWORD)
    client.on_connect = lambda *_a: answered.set()
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        assert not answered.wait(NOT_CONNECTED_WITHIN)
    finally:
        client.disconnect()
        client.loop_stop()
    assert "New client connected" not in broker.log_tail(50)


def test_a_kiosk_config_with_a_broken_ca_is_refused_up_front(tmp_path: Path) -> None:
    kiosk_file = tmp_path / "kiosk.toml"
    base = '[kiosk]\nid = "cage-1"\n[signing]\nkey = "' + "a" * 64 + '"\n[broker]\npassword = "x"\n'
    kiosk_file.write_text(base + "tls_ca_pem = '''\nnot a certificate\n'''\n")
    with pytest.raises(ConfigError, match="tls_ca_pem"):
        load_config(kiosk_file)
    kiosk_file.write_text(base + 'tls = false\ntls_ca = "/etc/ssl/certs/ca-certificates.crt"\n')
    with pytest.raises(ConfigError, match="tls = false"):
        load_config(kiosk_file)
    kiosk_file.write_text(base + f'tls_ca = "{tmp_path / "missing.pem"}"\n')
    with pytest.raises(ConfigError, match=r"missing\.pem"):
        app_settings(load_config(kiosk_file)).broker.tls_context()  # type: ignore[union-attr]
