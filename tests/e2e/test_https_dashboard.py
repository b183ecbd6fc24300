"""The dashboard as a manager reaches it on an installed hub: Debian's Caddy with the shipped
deploy/caddy/Caddyfile in front of a real hub configured from deploy/hub/hub.toml.example, over
HTTPS with a certificate from the hub's private CA (deploy/tls/pki.sh). Only the ports, file
locations and the site name (localhost) are changed for the test."""

from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from hub.config import load_config
from hub.localbroker import PKI_SCRIPT, LocalBroker, LocalPki, free_port, make_pki
from hub.service import HubService
from hub.web.auth import create_user
from tests.waiting import wait_until

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"  # the operator's files, as in the repo
CADDY = shutil.which("caddy")
PASSWORD = "a long test password"
pytestmark = pytest.mark.skipif(
    CADDY is None, reason="caddy is not installed (apt-get install caddy)"
)


@dataclass
class Proxied:
    https: str  # the dashboard's address through Caddy
    http: str  # Caddy's plain-HTTP port
    ca_file: Path
    cert: LocalPki  # the dashboard's certificate
    caddyfile: Path
    admin: str  # Caddy's admin API, which `caddy reload` (systemctl reload caddy) talks to
    env: dict[str, str]
    https_port: int


def _hub_toml(tmp_path: Path, broker: LocalBroker, web_port: int) -> Path:
    """deploy/hub/hub.toml.example with only the machine's paths and ports changed."""
    (tmp_path / "hub-broker-password").write_text("hub-pw")
    (tmp_path / "web-secret").write_text("w" * 48)
    ours = {
        ("hub", "database"): f'"sqlite:///{tmp_path / "hub.db"}"',
        ("broker", "port"): str(broker.port),
        ("broker", "tls_ca"): f'"{broker.ca_file}"',
        ("broker", "password_file"): f'"{tmp_path / "hub-broker-password"}"',
        ("broker", "broker_passwd_file"): f'"{broker.folder / "passwd"}"',
        ("web", "port"): str(web_port),
        ("web", "secret_key_file"): f'"{tmp_path / "web-secret"}"',
    }
    section, lines = "", []
    for line in (DEPLOY / "hub" / "hub.toml.example").read_text().splitlines():
        if m := re.match(r"^\[([a-z.]+)\]", line):
            section = m.group(1)
        key = line.split("=", 1)[0].strip()
        lines.append(f"{key} = {ours.pop((section, key))}" if (section, key) in ours else line)
    assert not ours, f"not in the example any more: {ours}"
    path = tmp_path / "hub.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _caddyfile(
    tmp_path: Path, cert: LocalPki, web_port: int, https: int, http: int, admin: str
) -> Path:
    """The shipped Caddyfile for localhost, this test's certificate and ports."""
    text = (DEPLOY / "caddy" / "Caddyfile").read_text()
    for shipped, ours in (
        ("cage.example.edu {", "localhost {"),
        ("/etc/caddy/cagekeeper/dashboard.pem", str(cert.cert_file)),
        ("/etc/caddy/cagekeeper/dashboard.key", str(cert.key_file)),
        ("reverse_proxy 127.0.0.1:8080", f"reverse_proxy 127.0.0.1:{web_port}"),
    ):
        assert shipped in text, shipped
        text = text.replace(shipped, ours)
    options = f"{{\n\tadmin {admin}\n\thttp_port {http}\n\thttps_port {https}\n}}\n\n"
    path = tmp_path / "Caddyfile"
    path.write_text(options + text)
    return path


def _open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@pytest.fixture
def proxied(tmp_path: Path, broker_pki: LocalPki) -> Iterator[Proxied]:
    broker = LocalBroker(tmp_path / "broker", {"hub": "hub-pw"}, pki=broker_pki)
    broker.folder.mkdir()
    broker.start()
    web_port, https, http = free_port(), free_port(), free_port()
    admin = f"127.0.0.1:{free_port()}"
    service = HubService(load_config(_hub_toml(tmp_path, broker, web_port)))
    create_user(service.store, "manager", PASSWORD, "manager", datetime.now(UTC))
    service.start_in_background()
    assert service.link.wait_connected(10), broker.log_tail()  # the hub's own MQTT over TLS
    cert = make_pki(
        tmp_path / "dashboard", days=30, names=("DNS:localhost",), ca_dir=broker_pki.ca_file.parent
    )
    home = tmp_path / "caddy-home"
    env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home), XDG_CONFIG_HOME=str(home))
    log = (tmp_path / "caddy.log").open("wb")
    assert CADDY is not None
    caddyfile = _caddyfile(tmp_path, cert, web_port, https, http, admin)
    caddy = subprocess.Popen(
        [CADDY, "run", "--adapter", "caddyfile", "--config", str(caddyfile)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: _open(https) or caddy.poll() is not None, "caddy listening")
        assert caddy.poll() is None, (tmp_path / "caddy.log").read_text()
        yield Proxied(
            f"https://localhost:{https}",
            f"http://localhost:{http}",
            cert.ca_file,
            cert,
            caddyfile,
            admin,
            env,
            https,
        )
    finally:
        caddy.terminate()
        caddy.wait(timeout=10)
        log.close()
        service.stop()
        broker.stop()


def test_a_manager_signs_in_over_https_through_caddy(proxied: Proxied) -> None:
    trust = ssl.create_default_context(cafile=str(proxied.ca_file))
    with httpx.Client(base_url=proxied.https, verify=trust, timeout=10) as browser:
        form = browser.get("/login")
        assert form.status_code == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        signed_in = browser.post(
            "/login", data={"username": "manager", "password": PASSWORD, "csrf": csrf.group(1)}
        )
        assert signed_in.status_code == 303, signed_in.text
        # the shipped config marks the session cookie Secure: browsers send it over HTTPS only
        assert "secure" in signed_in.headers["set-cookie"].lower()
        page = browser.get("/")
        assert page.status_code == 200
        assert "manager (manager)" in page.text and "Log out" in page.text


def test_plain_http_is_sent_to_https_and_an_untrusted_certificate_is_refused(
    proxied: Proxied,
) -> None:
    redirect = httpx.get(proxied.http + "/login", follow_redirects=False, timeout=10)
    assert redirect.status_code in (301, 308)
    assert redirect.headers["location"].startswith("https://localhost")
    # a client that does not trust the hub's CA is not fooled into trusting this certificate
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(proxied.https + "/login", verify=ssl.create_default_context(), timeout=10)


def _serial(proxied: Proxied) -> str:
    context = ssl.create_default_context(cafile=str(proxied.ca_file))
    with (
        socket.create_connection(("127.0.0.1", proxied.https_port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        cert = tls.getpeercert()
    assert cert is not None
    return str(cert["serialNumber"])


def test_a_renewed_certificate_is_served_after_caddy_reloads(proxied: Proxied) -> None:
    """What cagekeeper-certs.timer does for the dashboard: pki.sh renews the certificate, then
    `systemctl reload caddy` runs Debian's ExecReload, `caddy reload --force`."""
    before = _serial(proxied)
    cert = proxied.cert.cert_file.with_suffix("")
    renewed = subprocess.run(
        ["bash", str(PKI_SCRIPT), "renew", str(proxied.ca_file.parent), str(cert), "60"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "renewed" in renewed.stdout
    assert CADDY is not None
    reload = [CADDY, "reload", "--config", str(proxied.caddyfile), "--address", proxied.admin]
    subprocess.run(
        [*reload, "--adapter", "caddyfile", "--force"],
        env=proxied.env,
        capture_output=True,
        check=True,
        timeout=30,
    )
    wait_until(lambda: _serial(proxied) != before, "the renewed certificate served")
