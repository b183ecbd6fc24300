"""A hub (its store on a SQLite file and its MQTT link) in a process of its own, so a test can
kill it with SIGKILL in the middle of a commit, as a power cut or the OOM killer would: no
goodbye on the broker, no transaction finished, only what SQLite had made durable.

The child runs ``python -m tests.fakes.hub_process DB_URL BROKER_PORT AT [INSTANCE]``, with
the broker password in the environment. Its broker session is the instance's (the hub's default
one unless named): a hub started again with the same instance takes up the session the last
one left, with the events the broker kept for it; hubs running side by side need their own.

Its clock stands still at AT: the kiosks in a test run on a fake clock that moves only when
the test says, so a hub clock moving by itself would be the one clock in the test nobody
controls. Give a restarted hub a later AT (its replica versions are its clock's milliseconds,
and kiosks keep the newest version they have). It says ``ready`` on stdout once connected, and
stops properly when its stdin closes.

To put the kill at the worst moment, ``stall_next_commit`` makes the next commit that stores
events stop dead once its transaction is committed, before any ack or PUBACK goes out: the
events are in the ledger and still in the kiosks' outboxes.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import IO

from hub.localbroker import local_pki

PASSWORD_ENV = "CAGEKEEPER_TEST_HUB_PASSWORD"
CA_ENV = "CAGEKEEPER_TEST_BROKER_CA"  # the test process's CA, which issued the broker's certificate
ROOT = Path(__file__).resolve().parents[2]  # where ``tests`` is importable from


class HubProcess:
    """The test's handle on a hub child process."""

    def __init__(
        self,
        db_url: str,
        broker_port: int,
        password: str,
        at: datetime,
        log: Path,
        instance: str | None = None,
    ) -> None:
        self.args = [db_url, str(broker_port), at.isoformat(), *([instance] if instance else [])]
        self.password = password
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        self._log_file = self.log.open("ab")
        env = dict(os.environ, **{PASSWORD_ENV: self.password, CA_ENV: str(local_pki().ca_file)})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.hub_process", *self.args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            bufsize=0,  # unbuffered: ``select`` then sees every line the child says
        )
        self._expect("ready", timeout)

    def stall_next_commit(self, timeout: float = 10.0) -> None:
        """Arm the stall: the next commit that stores events stops after its transaction."""
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(b"stall\n")
        self._expect("armed", timeout)

    def wait_stalled(self, timeout: float = 10.0) -> None:
        """Until a commit has stored events and stopped before acknowledging them."""
        self._expect("stalled", timeout)

    def _expect(self, word: str, timeout: float) -> None:
        assert self.process is not None and self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else b""
        if line.strip() != word.encode():
            self.kill()
            raise RuntimeError(f"the hub process never said {word!r}: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: the process ends at once, wherever it was."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self._release()

    def stop(self) -> None:
        """Close its stdin: the hub stops properly (offline status, disconnect)."""
        if self.process is None:
            return
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._release()

    def _release(self) -> None:
        assert self.process is not None
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self.process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def main(argv: list[str]) -> int:
    import logging
    import threading
    from collections.abc import Sequence

    from hub.link import DEFAULT_INSTANCE, HubBroker, HubLink, hub_client_id
    from hub.store import Outcome, Store
    from wire import AckResult, CustodyEvent

    stall = threading.Event()

    class StallingStore(Store):
        def commit_events(
            self, batch: Sequence[tuple[CustodyEvent, str]], now: datetime
        ) -> list[Outcome]:
            outcomes = super().commit_events(batch, now)
            if stall.is_set() and any(o.result is AckResult.COMMITTED for o in outcomes):
                print("stalled", flush=True)
                threading.Event().wait()  # committed, never acknowledged: the test kills us
            return outcomes

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    db_url, port, at = argv[0], int(argv[1]), datetime.fromisoformat(argv[2])
    instance = argv[3] if len(argv) > 3 else DEFAULT_INSTANCE
    store = StallingStore.open(db_url, upgrade=False)
    link = HubLink(
        HubBroker(
            "127.0.0.1",
            port,
            "hub",
            os.environ[PASSWORD_ENV],
            client_id=hub_client_id(instance),
            tls_ca=os.environ[CA_ENV],
        ),
        store,
        lambda: at,
        # a commit as soon as events arrive (commit_linger_ms = 0): acks then follow the burst
        # event by event, so a test can stop a hub while most of a burst is still in flight
        linger=0,
        replica_interval=0.05,
    )
    link.start()
    if not link.wait_connected(10):
        print("not connected", flush=True)
        return 1
    print("ready", flush=True)
    for command in sys.stdin:  # until the test closes our stdin (or dies)
        if command.strip() == "stall":
            stall.set()
            print("armed", flush=True)
    link.stop()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
