"""Simulated kiosks for the load benchmarks, all in one asyncio process (aiomqtt).

Each kiosk is its own MQTT v5 connection logged in with its own broker credentials, publishes
signed custody events at QoS 1 on its own events topic and reads the hub's signed acks on its
own acks topic, as the broker's ACLs allow a real kiosk. An event counts when its kiosk holds an
ack for it (committed), which the hub sends only after the commit.

Two ways to send:
- ``burst``: each kiosk has N events ready and keeps up to ``window`` of them unacknowledged,
  as a kiosk's outbox does after being offline (throughput);
- ``paced``: each kiosk publishes one event every ``interval`` seconds on a fixed schedule,
  whatever the hub's answers (open loop, so a slow hub shows as latency, not as less load).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import random
import socket
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import aiomqtt
from paho.mqtt.client import MQTT_ERR_SUCCESS, error_string

from bench.deployment import LOAN, TOPICS, Kiosk
from hub.localbroker import local_pki
from wire import (
    AckResult,
    CustodyEvent,
    DenialReason,
    EventType,
    ReturnCondition,
    WireError,
    decode_ack,
    encode_event,
)
from wire.ids import uuid7

Traffic = Literal["custody", "denied"]
REPLICA = f"{TOPICS.base}/replica/#"
NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


def make_event(kiosk: Kiosk, seq: int, at: datetime, traffic: Traffic) -> CustodyEvent:
    """The kiosk's ``seq``-th event: a checkout of one of its assets, then that asset's return,
    then the next asset's checkout..., its people taking turns; or an unknown badge refused."""
    base = {"id": uuid7(int(at.timestamp() * 1000)), "kiosk": kiosk.id, "seq": seq, "at": at}
    if traffic == "denied":
        return CustodyEvent.model_validate(
            {
                **base,
                "type": EventType.DENIED,
                "reason": DenialReason.UNKNOWN_BADGE,
                "badge": "DEADBEEF",
            }
        )
    loan = (seq - 1) // 2
    code = kiosk.assets[loan % len(kiosk.assets)]
    person, badge = kiosk.people[(loan // len(kiosk.assets)) % len(kiosk.people)]
    fields = {**base, "session": f"s-{loan}", "badge": badge, "person": person, "asset": code}
    if seq % 2:
        return CustodyEvent.model_validate({**fields, "type": EventType.CHECKOUT, "due": at + LOAN})
    return CustodyEvent.model_validate(
        {**fields, "type": EventType.RETURN, "condition": ReturnCondition.OK}
    )


@dataclass
class Tally:
    """What the kiosks sent and heard back. Times are ``time.monotonic()`` (one clock for every
    process on this machine)."""

    published: dict[str, float] = field(default_factory=dict)  # event id -> publish time
    acked: dict[str, float] = field(default_factory=dict)  # event id -> first ack arrival
    results: Counter[str] = field(default_factory=Counter)  # every ack, by result
    repeated_acks: int = 0  # acks for an event already acked
    replica_messages: int = 0  # replica snapshots and deltas the kiosks received, all told
    replica_bytes: int = 0
    errors: list[str] = field(default_factory=list)
    started: float = 0.0
    sending_ended: float = 0.0
    sending_ended_at: datetime | None = None  # the same moment on the wall clock
    finished: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.acked) / (self.finished - self.started)

    def latencies(self) -> list[float]:
        """Publish-to-ack seconds of every acknowledged event."""
        return [self.acked[i] - self.published[i] for i in self.acked if i in self.published]


class _Link:
    """One kiosk's connection and its ack reader."""

    def __init__(self, kiosk: Kiosk, client: aiomqtt.Client, tally: Tally) -> None:
        self.kiosk = kiosk
        self.client = client
        self.tally = tally
        self.window: asyncio.Semaphore | None = None
        self.waiting: set[str] = set()
        self.drained = asyncio.Event()

    async def read_acks(self) -> None:
        async for message in self.client.messages:
            now = time.monotonic()
            payload = message.payload
            if not isinstance(payload, bytes | bytearray):
                continue
            if message.topic.matches(REPLICA):
                self.tally.replica_messages += 1
                self.tally.replica_bytes += len(payload)
                continue
            try:
                batch = decode_ack(bytes(payload), self.kiosk.key)
            except WireError as exc:
                self.tally.errors.append(f"{self.kiosk.id}: an ack failed its check: {exc}")
                continue
            for ack in batch.acks:
                event_id = str(ack.id)
                self.tally.results[ack.result.value] += 1
                if ack.result is AckResult.REJECTED:
                    self.tally.errors.append(f"{event_id} rejected: {ack.error}")
                if event_id in self.tally.acked:
                    self.tally.repeated_acks += 1
                    continue
                self.tally.acked[event_id] = now
                if event_id in self.waiting:
                    self.waiting.discard(event_id)
                    if self.window is not None:
                        self.window.release()
                    if not self.waiting:
                        self.drained.set()


class Fleet:
    """Kiosk connections to the broker on ``port``; use as ``async with Fleet(...)``."""

    def __init__(
        self,
        kiosks: Sequence[Kiosk],
        port: int,
        connect_at_once: int = 50,
        replica: bool = False,
    ) -> None:
        """``replica``: the kiosks also take the replica (snapshot and deltas), as real
        kiosks do, and only count its messages and bytes."""
        self.kiosks = list(kiosks)
        self.port = port
        self.replica = replica
        self.tally = Tally()
        self.links: list[_Link] = []
        self._connect_at_once = connect_at_once
        self._stack = contextlib.AsyncExitStack()
        self._readers: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Fleet:
        gate = asyncio.Semaphore(self._connect_at_once)

        async def connect(kiosk: Kiosk) -> _Link:
            client = aiomqtt.Client(
                "127.0.0.1",
                self.port,
                username=kiosk.id,
                password=kiosk.password,
                identifier=f"{kiosk.id}-load-{os.getpid()}",
                protocol=aiomqtt.ProtocolVersion.V5,
                max_inflight_messages=100,
                socket_options=NODELAY,
                tls_context=local_pki().client_context(),
                timeout=30,
            )
            client.pending_calls_threshold = 1 << 30  # many QoS 1 publishes in flight is the point
            async with gate:
                await self._stack.enter_async_context(client)
                await client.subscribe(TOPICS.acks(kiosk.id), qos=1)
                if self.replica:
                    await client.subscribe(REPLICA, qos=1)
            return _Link(kiosk, client, self.tally)

        self.links = list(await asyncio.gather(*(connect(k) for k in self.kiosks)))
        self._readers = [asyncio.create_task(link.read_acks()) for link in self.links]
        return self

    async def __aexit__(self, *exc: object) -> None:
        asyncio.get_running_loop().set_exception_handler(_closing)
        for task in self._readers:
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        await self._stack.aclose()

    async def burst(self, events: int, traffic: Traffic, window: int = 200) -> Tally:
        """Each kiosk sends ``events`` events (signed before the clock starts), at most
        ``window`` of them unacknowledged by the hub at a time; done when every one is acked."""
        ready = self._signed(events, traffic)
        self.tally.started = time.monotonic()
        await asyncio.gather(*(self._send_burst(link, s, window) for link, s in ready))
        self.tally.finished = max(self.tally.acked.values(), default=time.monotonic())
        return self.tally

    def flood(self, events: int, traffic: Traffic) -> Tally:
        """Each kiosk hands paho ``events`` events at once (signed before the clock starts),
        which sends them as the broker's PUBACKs allow (100 in flight): for the ceiling, where
        no hub answers and whoever consumes them says when they all came."""
        ready = self._signed(events, traffic)
        self.tally.started = time.monotonic()
        for link, signed in ready:
            topic = TOPICS.events(link.kiosk.id)
            for event_id, payload in signed:
                self.tally.published[event_id] = time.monotonic()
                _publish(link.client, topic, payload)
        return self.tally

    def _signed(self, events: int, traffic: Traffic) -> list[tuple[_Link, list[tuple[str, bytes]]]]:
        ready = []
        for link in self.links:
            now = datetime.now(UTC)
            signed = []
            for seq in range(1, events + 1):
                # a millisecond apart, ending now: as a kiosk's outbox holds them, one event
                # after another (the same instant for all would make every loan of an item
                # tie with its last rest point, which real scans never do)
                at = now - timedelta(milliseconds=events - seq)
                ev = make_event(link.kiosk, seq, at, traffic)
                signed.append((ev.id, encode_event(ev, link.kiosk.key)))
            ready.append((link, signed))
        return ready

    async def _send_burst(self, link: _Link, signed: list[tuple[str, bytes]], window: int) -> None:
        topic = TOPICS.events(link.kiosk.id)
        link.window = asyncio.Semaphore(window)
        link.waiting = {event_id for event_id, _p in signed}
        for event_id, payload in signed:
            await link.window.acquire()
            self.tally.published[event_id] = time.monotonic()
            _publish(link.client, topic, payload)
        await link.drained.wait()

    async def paced(
        self, seconds: float, interval: float, traffic: Traffic, drain: float = 60.0
    ) -> Tally:
        """Each kiosk publishes an event every ``interval`` s for ``seconds``, starting at a
        random point of the first interval; then waits for the last acks, until ``drain`` s
        have passed with no ack coming (or four times that, at least 2 minutes, in all).
        ``tally.sending_ended`` is when the schedule ended."""
        self.tally.started = time.monotonic()
        rnd = random.Random(7)
        await asyncio.gather(
            *(
                self._send_paced(link, rnd.random() * interval, seconds, interval, traffic)
                for link in self.links
            )
        )
        self.tally.sending_ended = time.monotonic()
        self.tally.sending_ended_at = datetime.now(UTC)
        heard, last_count = time.monotonic(), -1
        give_up = time.monotonic() + max(4 * drain, 120.0)  # a hub far behind: stop anyway
        while len(self.tally.acked) < len(self.tally.published) and time.monotonic() < give_up:
            if len(self.tally.acked) != last_count:
                heard, last_count = time.monotonic(), len(self.tally.acked)
            elif time.monotonic() - heard > drain:
                break
            await asyncio.sleep(0.2)
        self.tally.finished = max(self.tally.acked.values(), default=time.monotonic())
        return self.tally

    async def _send_paced(
        self, link: _Link, offset: float, seconds: float, interval: float, traffic: Traffic
    ) -> None:
        topic = TOPICS.events(link.kiosk.id)
        start = self.tally.started + offset
        seq = 0
        while True:
            due = start + seq * interval
            if due - self.tally.started >= seconds:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            seq += 1
            ev = make_event(link.kiosk, seq, datetime.now(UTC), traffic)
            payload = encode_event(ev, link.kiosk.key)
            self.tally.published[ev.id] = time.monotonic()
            _publish(link.client, topic, payload)


def _closing(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """While the connections close, paho may still ask the loop to watch a socket it has just
    closed; that is not worth a traceback. Anything else is reported as usual."""
    error = context.get("exception")
    if isinstance(error, OSError) and error.errno == errno.EBADF:
        return
    loop.default_exception_handler(context)


def _publish(client: aiomqtt.Client, topic: str, payload: bytes) -> None:
    """QoS 1 publish without waiting for the PUBACK. aiomqtt's own ``publish`` waits for it
    through an event and a timeout per message, which costs this process more than the broker
    spends on the message; a kiosk, too, only waits for the hub's ack. So this goes straight
    to the paho client aiomqtt drives on its event loop (aiomqtt 2.x)."""
    info = client._client.publish(topic, payload, qos=1)
    if info.rc != MQTT_ERR_SUCCESS:
        raise RuntimeError(f"publish on {topic} failed: {error_string(info.rc)}")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0-1) by the nearest-rank method; nan when there are no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 1))))
    return ordered[rank - 1]
