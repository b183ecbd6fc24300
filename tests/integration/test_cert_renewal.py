"""deploy/tls/renew-certs.sh, as cagekeeper-certs.timer runs it: a broker certificate near its
end is issued again from the hub's CA for the same names and the running broker serves it after
the reload, without dropping connected clients; a fresh one, or the site's own, is left alone.

``systemctl`` is the one stand-in: a script first on PATH that records its arguments and does
what Debian's mosquitto.service does on reload (SIGHUP to the broker)."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.localbroker import PKI_SCRIPT, LocalBroker, LocalPki, make_pki
from tests.mqtt_probe import Probe
from tests.waiting import wait_until
from wire import Topics

RENEW = PKI_SCRIPT.parent / "renew-certs.sh"
HUB_PASSWORD = "hub-password"


@dataclass
class Site:
    folder: Path
    pki: LocalPki
    broker: LocalBroker
    calls: Path

    def renew(self, broker_cert: Path | None = None) -> str:
        env = dict(
            os.environ,
            PATH=f"{self.folder / 'bin'}:{os.environ['PATH']}",
            CAGEKEEPER_PKI=str(self.pki.ca_file.parent),
            CAGEKEEPER_BROKER_CERT=str(broker_cert or self.pki.cert_file.with_suffix("")),
            CAGEKEEPER_DASHBOARD_CERT=str(self.folder / "dashboard"),
            FAKE_BROKER_PID=str(self.broker.process.pid if self.broker.process else 0),
        )
        done = subprocess.run(
            ["bash", str(RENEW)], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def reloads(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []

    def served(self) -> Mapping[str, object]:
        """The certificate a new client is shown, checked against the CA and the name."""
        context = ssl.create_default_context(cafile=str(self.pki.ca_file))
        with (
            socket.create_connection(("127.0.0.1", self.broker.port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            cert = tls.getpeercert()
        assert cert is not None
        return cert


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A broker whose certificate ends tomorrow and a dashboard certificate good for a year."""
    pki = make_pki(tmp_path / "broker-cert", days=1)
    make_pki(tmp_path, days=365, names=("DNS:localhost",), ca_dir=pki.ca_file.parent)
    (tmp_path / "broker.pem").rename(tmp_path / "dashboard.pem")
    (tmp_path / "broker.key").rename(tmp_path / "dashboard.key")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    systemctl = bin_dir / "systemctl"
    systemctl.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {tmp_path / "calls"}\n'
        'if [ "$1 $2" = "reload mosquitto" ]; then kill -HUP "$FAKE_BROKER_PID"; fi\n'
    )
    systemctl.chmod(0o755)
    broker = LocalBroker(tmp_path / "broker", {"hub": HUB_PASSWORD}, pki=pki)
    broker.folder.mkdir()
    broker.start()
    try:
        yield Site(tmp_path, pki, broker, tmp_path / "calls")
    finally:
        broker.stop()


def _ends(cert: Mapping[str, object]) -> datetime:
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(str(cert["notAfter"])), UTC)


def test_a_certificate_near_its_end_is_renewed_and_served_without_dropping_clients(
    site: Site,
) -> None:
    before = site.served()
    assert _ends(before) < datetime.now(UTC) + timedelta(days=2)
    dashboard = (site.folder / "dashboard.pem").read_bytes()
    probe = Probe(site.broker.port, "hub", HUB_PASSWORD, "connected-through", site.pki.ca_file)
    try:
        out = site.renew()
        assert f"renewed {site.pki.cert_file}" in out
        assert site.reloads() == ["reload mosquitto"]  # the dashboard's is good for a year
        assert (site.folder / "dashboard.pem").read_bytes() == dashboard
        wait_until(lambda: site.served()["serialNumber"] != before["serialNumber"], "new cert")
        after = site.served()
        assert _ends(after) > datetime.now(UTC) + timedelta(days=300)
        assert after["subjectAltName"] == before["subjectAltName"]
        assert site.pki.key_file.stat().st_mode & 0o777 == 0o600  # the key stays private
        # the client connected before the reload still works on its connection
        probe.subscribe(Topics().hub_status())
        assert probe.publish(Topics().hub_status(), b"{}") == 0
        probe.wait_for(Topics().hub_status())
    finally:
        probe.close()
    # the next day's run finds nothing to do
    assert site.renew() == ""
    assert site.reloads() == ["reload mosquitto"]


def test_the_sites_own_certificate_is_left_alone(site: Site, tmp_path: Path) -> None:
    """A certificate from another CA, even one about to end, is the site's to renew."""
    own = make_pki(tmp_path / "own", days=1)
    pem = own.cert_file.read_bytes()
    assert site.renew(broker_cert=own.cert_file.with_suffix("")) == ""
    assert own.cert_file.read_bytes() == pem
    assert site.reloads() == []
