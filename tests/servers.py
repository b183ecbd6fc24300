"""Real servers on loopback for alert delivery tests: an SMTP inbox and a webhook receiver."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Generic, TypeVar

from aiosmtpd.smtp import SMTP, Envelope, Session

T = TypeVar("T")
WAIT = 5.0
MANAGERS = ("quartermaster@example.org", "head-of-media@example.org")


class Arrivals(Generic[T]):
    """What a server thread received, handed to the test in order as it arrives."""

    def __init__(self) -> None:
        self._items: list[T] = []
        self._lock = threading.Lock()
        self.arrived = threading.Event()

    def put(self, item: T) -> None:
        with self._lock:
            self._items.append(item)
            self.arrived.set()

    def take(self) -> T:
        assert self.arrived.wait(WAIT), "nothing arrived"
        with self._lock:
            item = self._items.pop(0)
            if not self._items:
                self.arrived.clear()
            return item


class Inbox:
    """aiosmtpd handler: accepts mail, refusing only the addresses in ``unknown``."""

    def __init__(self) -> None:
        self.mail: Arrivals[Envelope] = Arrivals()
        self.unknown: set[str] = set()

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.unknown:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.mail.put(envelope)
        return "250 Message accepted for delivery"


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A webhook endpoint answering every POST with ``status``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.status = 204
        self.posts: Arrivals[Post] = Arrivals()
