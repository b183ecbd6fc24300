"""Run Mosquitto with the project's own deploy/ configuration on this machine.

Used by the demo, the tests and the benchmarks: the file in deploy/mosquitto/ is taken as it is,
except for the listener's port, the file locations and the log target, which point into a
private folder. The listener keeps its TLS: a private CA made once per process with the
deploy/tls/pki.sh an installed hub uses issues the broker's certificate for 127.0.0.1 and
localhost, and every client verifies it against that CA (``LocalBroker.ca_file``).

Those deploy files ship inside the package (``hub/deploy_files``, package data that links to
deploy/ in the source tree), so an installed hub finds them where it is installed.
"""

from __future__ import annotations

import atexit
import functools
import getpass
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from hub.errors import HubError


def shipped(*parts: str) -> Path:
    """A file of deploy/ as the installed package holds it (a wheel installs package data as
    plain files, so it is a real path that Mosquitto and bash can open)."""
    found = files("hub").joinpath("deploy_files", *parts)
    return found if isinstance(found, Path) else Path(str(found))


DEPLOY_DIR = shipped("mosquitto")
PKI_SCRIPT = shipped("tls", "pki.sh")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class LocalPki:
    """A private CA and the broker certificate it issued (for 127.0.0.1 and localhost)."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def client_context(self, ca_file: Path | None = None) -> ssl.SSLContext:
        """What a client trusts: this CA (or ``ca_file``) only, with the broker's name checked."""
        return ssl.create_default_context(cafile=str(ca_file or self.ca_file))


LOOPBACK_NAMES = ("IP:127.0.0.1", "DNS:localhost")


def make_pki(
    folder: Path,
    days: int = 30,
    names: tuple[str, ...] = LOOPBACK_NAMES,
    ca_dir: Path | None = None,
) -> LocalPki:
    """Issue a broker certificate for ``names`` into ``folder`` with deploy/tls/pki.sh, from
    the CA in ``ca_dir`` (made in folder/ca when not given)."""
    folder.mkdir(parents=True, exist_ok=True)
    if ca_dir is None:
        ca_dir = folder / "ca"
        subprocess.run(
            ["bash", str(PKI_SCRIPT), "ca", str(ca_dir)], check=True, capture_output=True
        )
    subprocess.run(
        ["bash", str(PKI_SCRIPT), "issue", str(ca_dir), str(folder / "broker"), str(days), *names],
        check=True,
        capture_output=True,
    )
    return LocalPki(ca_dir / "ca.pem", folder / "broker.pem", folder / "broker.key")


@functools.cache
def local_pki() -> LocalPki:
    """One CA and broker certificate for this process (a test session, the demo, a benchmark),
    in a temp folder removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="cagekeeper-pki-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return make_pki(folder)


def render_config(
    port: int, folder: Path, deploy_dir: Path = DEPLOY_DIR, pki: LocalPki | None = None
) -> str:
    """The deploy config with its machine-specific lines pointed at ``folder``: each replaced
    where it stands (the listener's TLS lines stay inside its block), the rest added."""
    pki = pki or local_pki()
    ours = {
        "listener": f"listener {port} 127.0.0.1",
        "certfile": f"certfile {pki.cert_file}",
        "keyfile": f"keyfile {pki.key_file}",
        "password_file": f"password_file {folder / 'passwd'}",
        "acl_file": f"acl_file {folder / 'acl'}",
        "persistence_location": f"persistence_location {folder / 'data'}/",
        "log_dest": f"log_dest file {folder / 'mosquitto.log'}",
        # Stay the invoking user (root stays root) so the private folder stays writable.
        "user": f"user {getpass.getuser()}",
        "pid_file": "",
    }
    lines = []
    for line in (deploy_dir / "cagekeeper.conf").read_text().splitlines():
        key = line.split(maxsplit=1)[0] if line.strip() and not line.startswith("#") else ""
        if key in ours:
            lines.append(ours.pop(key))
        else:
            lines.append(line)
    lines += [line for line in ours.values() if line]
    return "\n".join(lines) + "\n"


@dataclass
class LocalBroker:
    """A Mosquitto process on a loopback port; ``users`` maps username to password.

    ``deploy_dir`` holds the configuration taken (deploy/mosquitto/ unless a benchmark
    compares a variant of it); ``pki`` the CA and certificate (the process's own by default).
    """

    folder: Path
    users: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    deploy_dir: Path = DEPLOY_DIR
    pki: LocalPki = field(default_factory=local_pki)

    @property
    def ca_file(self) -> Path:
        """The CA a client verifies this broker's certificate with."""
        return self.pki.ca_file

    def start(self, timeout: float = 10.0) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            raise HubError("mosquitto is not installed (apt-get install mosquitto)")
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        shutil.copy(self.deploy_dir / "acl", self.folder / "acl")
        self.write_passwords()
        conf = self.folder / "mosquitto.conf"
        conf.write_text(render_config(self.port, self.folder, self.deploy_dir, self.pki))
        self.process = subprocess.Popen(
            [exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise HubError(f"mosquitto exited at start: {err or self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)  # polling a port that is not open yet
        raise HubError(f"mosquitto did not open port {self.port} in {timeout} s")

    def write_passwords(self) -> None:
        """Write every login's hash, then put the file in place in one rename: a broker
        re-reading it (after the SIGHUP of a login added a moment before) never sees it half
        written, which would sign out the logins it does not find yet."""
        passwd = self.folder / "passwd"
        making = self.folder / "passwd.new"
        making.write_text("")
        making.chmod(0o600)
        tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
        for user, password in self.users.items():
            subprocess.run(
                [tool, "-b", str(making), user, password], check=True, capture_output=True
            )
        os.replace(making, passwd)

    def add_user(self, user: str, password: str) -> None:
        """Add a login and make a running broker re-read its password file (SIGHUP)."""
        self.users[user] = password
        self.write_passwords()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(1)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut: no final save of the persistence file, so only
        what the last autosave wrote is there at the next start."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait()
        self.process = None

    def log_tail(self, lines: int = 20) -> str:
        log = self.folder / "mosquitto.log"
        return "\n".join(log.read_text().splitlines()[-lines:]) if log.exists() else ""

    @property
    def persistence_file(self) -> Path:
        return self.folder / "data" / "mosquitto.db"
