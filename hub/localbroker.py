"""Run Mosquitto with the project's own deploy/ configuration on this machine.

Used by the demo and the tests: the file in deploy/mosquitto/ is taken as it is, except for the
listener, the file locations and the log target, which point into a private folder.
"""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from hub.errors import HubError

DEPLOY_DIR = Path(__file__).resolve().parent.parent / "deploy" / "mosquitto"
_REPLACED = {
    "listener",
    "password_file",
    "acl_file",
    "persistence_location",
    "log_dest",
    "user",
    "pid_file",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def render_config(port: int, folder: Path, deploy_dir: Path = DEPLOY_DIR) -> str:
    """The deploy config with its machine-specific lines pointed at ``folder``."""
    lines = []
    for line in (deploy_dir / "cagekeeper.conf").read_text().splitlines():
        key = line.split(maxsplit=1)[0] if line.strip() and not line.startswith("#") else ""
        if key not in _REPLACED:
            lines.append(line)
    lines += [
        f"listener {port} 127.0.0.1",
        f"password_file {folder / 'passwd'}",
        f"acl_file {folder / 'acl'}",
        f"persistence_location {folder / 'data'}/",
        f"log_dest file {folder / 'mosquitto.log'}",
        # Stay the invoking user (root stays root) so the private folder stays writable.
        f"user {getpass.getuser()}",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class LocalBroker:
    """A Mosquitto process on a loopback port; ``users`` maps username to password.

    ``deploy_dir`` holds the configuration taken (deploy/mosquitto/ unless a benchmark
    compares a variant of it).
    """

    folder: Path
    users: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    deploy_dir: Path = DEPLOY_DIR

    def start(self, timeout: float = 10.0) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            raise HubError("mosquitto is not installed (apt-get install mosquitto)")
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        shutil.copy(self.deploy_dir / "acl", self.folder / "acl")
        self.write_passwords()
        conf = self.folder / "mosquitto.conf"
        conf.write_text(render_config(self.port, self.folder, self.deploy_dir))
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
        passwd = self.folder / "passwd"
        passwd.write_text("")
        passwd.chmod(0o600)
        tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
        for user, password in self.users.items():
            subprocess.run(
                [tool, "-b", str(passwd), user, password], check=True, capture_output=True
            )

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

    def restart(self) -> None:
        """Stop (SIGTERM: Mosquitto saves its state as it exits) and start on the same port."""
        self.stop()
        self.start()

    def log_tail(self, lines: int = 20) -> str:
        log = self.folder / "mosquitto.log"
        return "\n".join(log.read_text().splitlines()[-lines:]) if log.exists() else ""

    @property
    def persistence_file(self) -> Path:
        return self.folder / "data" / "mosquitto.db"
