"""One kiosk's network link to the broker, which a test can pull out and plug back in.

A loopback TCP relay: the kiosk connects to ``Cable.port``, the relay connects on to the broker.
``unplug`` drops every connection through it at once (as when the kiosk's interface goes down:
both ends notice, and the broker publishes the kiosk's will), and connections made while it is
out wait unanswered, as a connection attempt on a dead link does, until ``plug`` puts them
through. So the kiosk reconnects as soon as the cable is back, not after its client's growing
retry delay, and other clients of the broker are not affected at all.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable


class Cable:
    def __init__(self, broker_port: int, host: str = "127.0.0.1") -> None:
        self._target = (host, broker_port)
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(0.2)  # so the accept loop sees ``close``
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._plugged = True
        self._closed = False
        self._waiting: list[socket.socket] = []  # accepted while unplugged
        self._open: set[socket.socket] = set()  # both ends of every relayed connection
        self._threads: list[threading.Thread] = []
        self.connections = 0  # put through to the broker, ever
        self._spawn(self._accept_loop)

    @property
    def plugged(self) -> bool:
        return self._plugged

    def unplug(self) -> None:
        """Drop every connection through the cable; new ones wait until ``plug``."""
        with self._lock:
            self._plugged = False
            dropped = list(self._open) + self._waiting
            self._open.clear()
            self._waiting.clear()
        for sock in dropped:
            _drop(sock)

    def plug(self) -> None:
        """Put waiting connections through, and new ones from now on."""
        with self._lock:
            self._plugged = True
            waiting, self._waiting = self._waiting, []
        for client in waiting:
            self._connect(client)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.unplug()
        self._listener.close()
        for t in self._threads:
            t.join(timeout=5)

    def _accept_loop(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            client.settimeout(None)
            with self._lock:
                if self._closed:
                    _drop(client)
                    return
                if not self._plugged:
                    self._waiting.append(client)
                    continue
            self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self._target, timeout=5)
        except OSError:
            _drop(client)
            return
        upstream.settimeout(None)
        with self._lock:
            if not self._plugged or self._closed:
                _drop(client)
                _drop(upstream)
                return
            self._open |= {client, upstream}
            self.connections += 1
        self._spawn(lambda: self._relay(client, upstream))
        self._spawn(lambda: self._relay(upstream, client))

    def _relay(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        # one side closed or the cable was pulled: the other direction ends too
        with self._lock:
            self._open -= {source, sink}
        _drop(source)
        _drop(sink)

    def _spawn(self, target: Callable[[], None]) -> None:
        t = threading.Thread(target=target, name="cable", daemon=True)
        with self._lock:
            self._threads = [x for x in self._threads if x.is_alive()]
            self._threads.append(t)
        t.start()


def _drop(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
