"""A fleet of kiosks on MQTT, for tests of hubs sharing one database.

``Fleet``: one MQTT client per kiosk, logged in as that kiosk, that publishes signed events
(the same bytes again when resent, as a kiosk's outbox does) and collects the hub's signed
acks; also hears the hub's presence (live "online" messages, and the broker's "offline" will
of a hub that died). The history the kiosks send is ``tests.fleet_history``'s; the hub
processes are ``tests.hub_processes``'.
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from hub.localbroker import local_pki
from wire import (
    AckResult,
    CustodyEvent,
    HubStatus,
    KioskState,
    Topics,
    WireError,
    decode_ack,
    encode_event,
)

TOPICS = Topics()
SETTLED = (AckResult.COMMITTED, AckResult.DUPLICATE)


@dataclass(frozen=True)
class Presence:
    """A hub status message as a kiosk hears it live (not the broker's retained copy)."""

    state: KioskState
    version: str | None


class Fleet:
    """The kiosks' side: one MQTT v5 client per kiosk, logged in as that kiosk."""

    def __init__(self, port: int, keys: dict[str, bytes], passwords: dict[str, str]) -> None:
        self.keys = keys
        self.payloads: dict[str, bytes] = {}  # event id -> the signed bytes, sent again as such
        self.kiosk_of: dict[str, str] = {}
        self.acks: dict[str, list[AckResult]] = defaultdict(list)
        self.errors: list[str] = []
        self.presence: list[Presence] = []
        self.sent_at: dict[str, float] = {}  # event id -> when it was last published
        self.resent = 0  # sent again by the kiosks' own rules, not by a test
        self._cond = threading.Condition()
        self.clients: dict[str, mqtt.Client] = {}
        for kiosk in keys:
            self.clients[kiosk] = self._connect(port, kiosk, passwords[kiosk])

    def _connect(self, port: int, kiosk: str, password: str) -> mqtt.Client:
        ready = threading.Event()
        subscribed = threading.Event()
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"test-fleet-{kiosk}-{os.getpid()}",
            protocol=mqtt.MQTTv5,
        )
        client.username_pw_set(kiosk, password)
        client.tls_set_context(local_pki().client_context())
        client.on_connect = lambda *_a: ready.set()
        client.on_subscribe = lambda *_a: subscribed.set()
        client.on_message = self._on_message
        client.max_inflight_messages_set(100)
        client.connect("127.0.0.1", port)
        client.loop_start()
        if not ready.wait(10):
            raise TimeoutError(f"kiosk {kiosk} could not connect to the broker")
        topics = [(TOPICS.acks(kiosk), 1)]
        if not self.clients:  # one kiosk is enough to follow the hubs' presence
            topics.append((TOPICS.hub_status(), 1))
        client.subscribe(topics)
        if not subscribed.wait(10):
            raise TimeoutError(f"no SUBACK for kiosk {kiosk}")
        return client

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        payload = bytes(msg.payload)
        with self._cond:
            if msg.topic == TOPICS.hub_status():
                if not msg.retain:
                    status = HubStatus.model_validate_json(payload)
                    self.presence.append(Presence(status.state, status.version))
            else:
                kiosk = TOPICS.kiosk_of(msg.topic)
                try:
                    batch = decode_ack(payload, self.keys[kiosk or ""])
                except (WireError, KeyError) as exc:
                    self.errors.append(f"an ack on {msg.topic} failed its check: {exc}")
                else:
                    for ack in batch.acks:
                        self.acks[str(ack.id)].append(ack.result)
                        if ack.result is AckResult.REJECTED:
                            self.errors.append(f"event {ack.id} rejected: {ack.error}")
            self._cond.notify_all()

    def send(self, events: Iterable[CustodyEvent]) -> None:
        """Publish each event at QoS 1 on its kiosk's topic, signed with its kiosk's key."""
        for ev in events:
            if ev.id not in self.payloads:
                self.payloads[ev.id] = encode_event(ev, self.keys[ev.kiosk])
                self.kiosk_of[ev.id] = ev.kiosk
            self._publish(ev.id)

    def _publish(self, event_id: str) -> None:
        kiosk = self.kiosk_of[event_id]
        self.sent_at[event_id] = time.monotonic()
        self.clients[kiosk].publish(TOPICS.events(kiosk), self.payloads[event_id], qos=1)

    def resend(self, ids: Iterable[str]) -> int:
        """Publish these events again, the same bytes (a kiosk's outbox); returns how many."""
        count = 0
        for event_id in ids:
            self._publish(event_id)
            count += 1
        return count

    def settled(self, event_id: str) -> bool:
        return any(r in SETTLED for r in self.acks.get(event_id, ()))

    def unsettled(self, ids: Iterable[str]) -> list[str]:
        with self._cond:
            return [i for i in ids if not self.settled(i)]

    def wait(
        self,
        done: Callable[[], bool],
        timeout: float,
        what: str,
        alive: Callable[[], str | None] = lambda: None,
        every: Callable[[], None] = lambda: None,
    ) -> None:
        """Wait for ``done`` (checked whenever a message comes in); fail on a rejected event,
        on ``alive`` naming a problem (a hub process that exited) or after ``timeout``.
        ``every`` runs at least twice a second meanwhile (a kiosk's resend timer)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                if done():
                    return
                if self.errors:
                    raise AssertionError("; ".join(self.errors[:5]))
                problem = alive()
                if problem is not None:
                    raise AssertionError(f"waiting for {what}: {problem}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {what} in {timeout} s")
                self._cond.wait(min(left, 0.5))  # wakes on every message
            every()  # not holding the lock: it may publish

    def wait_settled(
        self,
        ids: Sequence[str],
        timeout: float,
        alive: Callable[[], str | None] = lambda: None,
        resend_after: float | None = None,
    ) -> None:
        """Until every event is acknowledged committed or duplicate.

        Meanwhile the kiosks resend as their outboxes do (kiosk.link): everything not
        acknowledged when a hub comes (back) online, and with ``resend_after`` an event sent
        that long ago with no ack yet. ``resent`` counts these sends.
        """
        onlines = self.count_presence(KioskState.ONLINE)

        def resend_due() -> None:
            nonlocal onlines
            pending = self.unsettled(ids)
            now_online = self.count_presence(KioskState.ONLINE)
            if now_online > onlines:
                onlines = now_online
                self.resent += self.resend(pending)
            elif resend_after is not None:
                due = time.monotonic() - resend_after
                self.resent += self.resend(i for i in pending if self.sent_at[i] <= due)

        try:
            self.wait(lambda: all(self.settled(i) for i in ids), timeout, "acks", alive, resend_due)
        except TimeoutError as exc:
            left = self.unsettled(ids)
            raise TimeoutError(f"{exc}: {len(left)} of {len(ids)} events unacknowledged") from None

    def count_presence(self, state: KioskState) -> int:
        with self._cond:
            return sum(1 for p in self.presence if p.state is state)

    def close(self) -> None:
        for client in self.clients.values():
            client.disconnect()
            client.loop_stop()
