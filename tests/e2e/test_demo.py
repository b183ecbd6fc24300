"""The README's main command: the demo runs its whole scenario on real broker, hub and kiosks,
and however it ends (scenario done, SIGTERM, Ctrl-C) it leaves no Mosquitto behind."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from demo.main import PREFERRED_WEB_PORT, port_is_free
from hub.localbroker import free_port

ROOT = Path(__file__).resolve().parents[2]
ENV = {
    **os.environ,
    "SDL_VIDEODRIVER": "dummy",
    "SDL_AUDIODRIVER": "dummy",
    "PYGAME_HIDE_SUPPORT_PROMPT": "1",
}


def demo_command(folder: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "demo.main", "--folder", str(folder), *args]


class Demo:
    """The demo as a child process, its output (stdout and stderr) read line by line."""

    def __init__(self, folder: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            demo_command(folder, *args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=ENV,
            cwd=ROOT,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        """The first line from now on matching ``pattern``, waiting for it up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise AssertionError(f"no {pattern!r} in {timeout} s:\n{self.output}") from None
            if line is None:
                self._queue.put(None)
                status = self.proc.wait(timeout=10)
                raise AssertionError(f"demo exited ({status}) before {pattern!r}:\n{self.output}")
            self.lines.append(line)
            found = re.search(pattern, line)
            if found:
                return found

    def finish(self, timeout: float = 60) -> int:
        """Wait for the process to exit and collect the rest of its output."""
        status = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
        return status

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def proc_stat(pid: int) -> tuple[str, str, int, int] | None:
    """(command name, state, parent pid, start time) from /proc, or None if there is no such
    process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return comm, fields[0], int(fields[1]), int(fields[19])


def child_broker(parent: int) -> tuple[int, int]:
    """The pid and start time of the mosquitto process ``parent`` started."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = proc_stat(int(entry.name))
            if stat is not None and stat[2] == parent and stat[0] == "mosquitto":
                return int(entry.name), stat[3]
    raise AssertionError(f"process {parent} has no mosquitto child")


def running(pid: int, started: int) -> bool:
    """Whether that very process (not a later one reusing its pid) still runs."""
    stat = proc_stat(pid)
    return stat is not None and stat[3] == started and stat[1] not in ("Z", "X")


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.fixture
def preferred_port_taken() -> Iterator[None]:
    """Something listens on the dashboard's preferred port for the length of the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", PREFERRED_WEB_PORT))
            s.listen()
        except OSError:
            pass  # something else has it already, which does as well
        assert not port_is_free(PREFERRED_WEB_PORT)
        yield


def test_demo_scenario_runs_to_the_end(tmp_path: Path) -> None:
    result = subprocess.run(
        demo_command(tmp_path / "demo", "--exit-after-script", "--web-port", str(free_port())),
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        cwd=ROOT,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "dashboard: http://127.0.0.1:" in out and "login:     admin / " in out
    assert "receipt: Canon C70 cinema camera (CAM-0001) due" in out
    assert "out now: CAM-0001" in out  # the lens came back through the door station
    assert "Still on someone else's loan: see staff" in out
    assert "Scenario done." in out
    assert (tmp_path / "demo" / "screens" / "cage-1.png").exists()
    broker = re.search(r"broker:\s+127\.0\.0\.1:(\d+)", out)
    assert broker is not None
    assert refused(int(broker.group(1)))  # the broker was stopped, not left behind


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_kiosks_hub_and_broker(
    tmp_path: Path, sig: signal.Signals, preferred_port_taken: None
) -> None:
    # No --web-port while 8080 is taken: the demo picks a free port and says which.
    demo = Demo(tmp_path / "demo", "--no-script")
    broker_pid, broker_started = None, 0
    try:
        url = demo.wait_for(r"dashboard: (http://127\.0\.0\.1:(\d+)/)")
        assert "Port 8080 is in use" in demo.output
        assert int(url.group(2)) != PREFERRED_WEB_PORT
        port = int(demo.wait_for(r"broker:\s+127\.0\.0\.1:(\d+)").group(1))
        broker_pid, broker_started = child_broker(demo.proc.pid)
        assert httpx.get(url.group(1) + "healthz", timeout=10).status_code == 200
        demo.wait_for("Press Ctrl-C to stop.")

        demo.proc.send_signal(sig)

        assert demo.finish() == 0, demo.output
        assert f"Stopped ({sig.name})." in demo.output
        assert "Traceback" not in demo.output, demo.output
        assert not running(broker_pid, broker_started)
        assert refused(port)
        assert refused(int(url.group(2)))  # the dashboard is gone too
    finally:
        demo.kill()
        if broker_pid is not None and running(broker_pid, broker_started):
            os.kill(broker_pid, signal.SIGKILL)


def test_a_taken_web_port_given_explicitly_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            demo_command(tmp_path / "demo", "--web-port", str(port)),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            env=ENV,
            cwd=ROOT,
            check=False,
        )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == (
        f"cagekeeper-demo: error: --web-port {port}: port {port} on 127.0.0.1 is already in use"
    )
    assert not (tmp_path / "demo").exists()  # nothing was started or wiped
