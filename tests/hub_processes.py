"""``cagekeeper-hub -c hub.toml serve`` as a separate OS process, and the config it runs with."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from bench.hubproc import LoggedProcess
from hub.config import load_config
from hub.localbroker import free_port, local_pki

ROOT = Path(__file__).resolve().parent.parent
STRIKES = "[strikes]\ngrace_minutes = 15\nlimit = 2\nterm_days = 30\nban_days = 7\n"


def write_hub_config(
    folder: Path,
    name: str,
    database: str,
    broker_port: int,
    hub_password: str,
    instance: str | None = None,
    ca_file: Path | None = None,
) -> Path:
    """A hub.toml (as deploy/hub/hub.toml.example, secrets in files) for one hub process. Its
    broker session is instance ``instance`` (default: ``name``): one per hub running at once,
    the same for a hub started again in the place of one that stopped. It trusts the broker
    certificate's CA ``ca_file`` (the test process's by default)."""
    folder.mkdir(parents=True, exist_ok=True)
    # written once: a hub process started earlier may be reading them
    for secret, value in (("hub-broker-password", hub_password), ("web-secret", "w" * 40)):
        if not (folder / secret).exists():
            (folder / secret).write_text(value)
    config = folder / f"{name}.toml"
    config.write_text(
        f'[hub]\ndatabase = "{database}"\n\n'
        f'[broker]\nhost = "127.0.0.1"\nport = {broker_port}\nusername = "hub"\n'
        f'password_file = "{folder / "hub-broker-password"}"\n'
        f'tls_ca = "{ca_file or local_pki().ca_file}"\n'
        f'instance = "{instance or name}"\n\n'
        f'[web]\nbind = "127.0.0.1"\nport = {free_port()}\n'
        f'secret_key_file = "{folder / "web-secret"}"\n\n'
        # a sweep pass every second, by whichever hub is elected: while events commit
        "[alerts]\ninterval_seconds = 1\n\n" + STRIKES
    )
    load_config(config)  # a mistake here shows as itself, not as a hub that never connects
    return config


def hub_command() -> list[str]:
    """The ``cagekeeper-hub`` entry point of the interpreter running the tests."""
    script = Path(sys.executable).with_name("cagekeeper-hub")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from hub.cli import main; main()"]


class HubProcess(LoggedProcess):
    """``cagekeeper-hub -c CONFIG serve`` in its own process, its output in a log file."""

    stop_timeout = 15.0
    tail_lines = 30

    def __init__(self, config: Path, log: Path) -> None:
        super().__init__([*hub_command(), "-c", str(config), "serve"], log)
        self.config = config

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind, as when the machine loses power."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
