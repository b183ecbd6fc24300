"""The hub as its own OS process, and where its CPU goes, thread by thread.

``python -m bench.hubproc CONFIG`` runs what ``cagekeeper-hub -c CONFIG serve`` runs (the whole
``HubService``: MQTT link, ingest, replica, sweeper, dashboard), and also gives each of its OS
threads the name of its Python thread (``paho`` for paho's network thread), so that the
benchmark, another process, can read each thread's CPU time from ``/proc`` while it works
without touching it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from hub.config import load_config

ROOT = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")
PAHO = "paho"


def _os_name(thread: threading.Thread) -> str:
    if thread.name.startswith("paho-mqtt-client"):
        return PAHO
    return thread.name[:15]


def _name_threads(stop: threading.Event) -> None:
    """Copy Python thread names to the OS (``/proc/self/task/TID/comm``), again every half
    second because paho starts a new network thread after a reconnect."""
    named: set[int] = set()
    while True:
        for thread in threading.enumerate():
            tid = thread.native_id
            if tid is None or tid in named:
                continue
            with contextlib.suppress(OSError):  # the thread may have ended meanwhile
                Path(f"/proc/self/task/{tid}/comm").write_text(_os_name(thread))
                named.add(tid)
        if stop.wait(0.5):
            return


def main() -> None:
    from hub.service import HubService

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    config = load_config(Path(sys.argv[1]))
    stop = threading.Event()
    threading.Thread(target=_name_threads, args=(stop,), name="namer", daemon=True).start()
    try:
        HubService(config).serve_forever()
    finally:
        stop.set()


# the benchmark's side --------------------------------------------------------------------------


Threads = dict[int, tuple[str, float]]


def thread_cpu(pid: int) -> Threads:
    """Each live thread of process ``pid``: its OS name and CPU seconds (user + system) so
    far, by thread id (names may change: a thread is named after it starts)."""
    seen: Threads = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            stat = (task / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        seen[int(task.name)] = (name, (int(fields[11]) + int(fields[12])) / _TICKS)
    return seen


def process_cpu(pid: int) -> float:
    """CPU seconds so far of process ``pid`` (its threads, dead ones included)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


@dataclass(frozen=True)
class CpuShare:
    """Where a process's CPU went over a window: seconds per thread name, and the wall time."""

    threads: dict[str, float]
    wall: float

    @property
    def total(self) -> float:
        return sum(self.threads.values())

    def share(self, name: str) -> float:
        return self.threads.get(name, 0.0) / self.total if self.total else 0.0

    @staticmethod
    def between(before: Threads, after: Threads, wall: float) -> CpuShare:
        """Per thread name (as named at the end), the CPU spent between two readings; a thread
        that ended in between is not counted (the hub's threads live as long as it does)."""
        spent: dict[str, float] = defaultdict(float)
        for tid, (name, cpu) in after.items():
            spent[name] += cpu - before.get(tid, (name, 0.0))[1]
        return CpuShare(dict(spent), wall)

    def merged(self, other: CpuShare) -> CpuShare:
        names = set(self.threads) | set(other.threads)
        return CpuShare(
            {n: self.threads.get(n, 0.0) + other.threads.get(n, 0.0) for n in names},
            max(self.wall, other.wall),
        )


class LoggedProcess:
    """A child process run from the project's root, its output in a log file; stopped with
    SIGTERM, then SIGKILL if it has not exited within ``stop_timeout`` seconds."""

    stop_timeout = 20.0
    tail_lines = 15

    def __init__(self, command: list[str], log: Path) -> None:
        self.command = command
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self._out: TextIO | None = None

    def start(self) -> None:
        self._out = self.log.open("a")
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._out is not None:
            self._out.close()
            self._out = None

    def tail(self, lines: int | None = None) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-(lines or self.tail_lines) :])


class HubProcess(LoggedProcess):
    """``python -m bench.hubproc CONFIG`` as a child process, its output in a log file."""

    def __init__(self, config: Path, log: Path) -> None:
        super().__init__([sys.executable, "-m", "bench.hubproc", str(config)], log)
        self.config = config

    def problem(self) -> str | None:
        """Why this hub cannot be working (it exited), or None."""
        if self.process is not None and self.process.poll() is not None:
            return f"hub process exited ({self.process.returncode}): {self.tail()}"
        return None


if __name__ == "__main__":
    main()
