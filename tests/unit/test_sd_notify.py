"""systemd's notify protocol, spoken to a real unix datagram socket standing in for systemd's."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.systemd import ServiceNotifier


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """What systemd listens on: a datagram socket at a path."""
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    yield sock, path
    sock.close()


def received(sock: socket.socket) -> list[str]:
    """Every notification waiting on the socket, each as one string."""
    sock.setblocking(False)
    found = []
    try:
        while True:
            found.append(sock.recv(4096).decode())
    except BlockingIOError:
        return found
    finally:
        sock.settimeout(2)


def test_ready_status_and_stopping_reach_the_socket(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    notifier = ServiceNotifier({"NOTIFY_SOCKET": path})
    assert notifier.enabled
    notifier.ready("running")
    assert sock.recv(4096) == b"READY=1\nSTATUS=running"
    notifier.status("not working:\ncamera")  # one line, whatever it is given
    assert sock.recv(4096) == b"STATUS=not working: camera"
    notifier.stopping()
    assert sock.recv(4096) == b"STOPPING=1"
    notifier.close()


def test_an_abstract_socket_name_starts_with_an_at_sign() -> None:
    name = f"cagekeeper-test-{secrets.token_hex(6)}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2)
    try:
        ServiceNotifier({"NOTIFY_SOCKET": "@" + name}).ready()
        assert sock.recv(4096) == b"READY=1"
    finally:
        sock.close()


def test_the_watchdog_is_pinged_twice_a_period(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    clock = Clock()
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}
    notifier = ServiceNotifier(env, monotonic=clock)
    assert notifier.watchdog_period == 30.0
    for _ in range(100):  # the session loop goes round many times a second
        notifier.alive()
    assert received(sock) == ["WATCHDOG=1"]
    clock.now += 14.9
    notifier.alive()
    assert received(sock) == []
    clock.now += 0.1
    notifier.alive()
    assert received(sock) == ["WATCHDOG=1"]


def test_no_watchdog_when_systemd_watches_another_process(
    listener: tuple[socket.socket, str],
) -> None:
    sock, path = listener
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}
    notifier = ServiceNotifier(env)
    assert notifier.watchdog_period is None
    notifier.alive()
    assert received(sock) == []


def test_outside_systemd_nothing_is_sent_and_nothing_fails() -> None:
    notifier = ServiceNotifier({})
    assert not notifier.enabled and notifier.watchdog_period is None
    notifier.ready()
    notifier.alive()
    assert notifier.notify("READY=1") is False


def test_a_socket_gone_away_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = ServiceNotifier({"NOTIFY_SOCKET": str(tmp_path / "nobody-listens")})
    assert notifier.notify("READY=1") is False
    assert notifier.notify("READY=1") is False
    assert len([r for r in caplog.records if "could not notify systemd" in r.message]) == 1
