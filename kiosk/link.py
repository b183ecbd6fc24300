"""The kiosk's MQTT link: sends the outbox, takes acks and replica snapshots, reports status.

An event leaves the outbox only when the hub's signed ack says it is committed; a broker PUBACK
means nothing more than that the broker has it. Unacked events are sent again after a while and
after every reconnect; the hub ignores the duplicates.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import ValidationError

from kiosk.errors import ConfigError
from kiosk.outbox import Outbox
from mqttlink import Broker, Router, TlsSetupError, Will, connect, new_client
from wire import AckResult, HubStatus, KioskState, KioskStatus, Topics, WireError, decode_ack

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokerSettings(Broker):
    """The kiosk's broker: ``mqttlink.Broker`` plus the topic root, and a config error when
    its CA cannot be loaded."""

    topic_root: str = "cagekeeper"

    def tls_context(self) -> ssl.SSLContext | None:
        try:
            return super().tls_context()
        except TlsSetupError as exc:
            raise ConfigError(str(exc)) from exc


class KioskLink:
    def __init__(
        self,
        broker: BrokerSettings,
        outbox: Outbox,
        key: bytes,
        status: Callable[[KioskState], KioskStatus],
        on_replica: Callable[[bytes], None],
        on_online: Callable[[bool], None],
        monotonic: Callable[[], float],
        utcnow: Callable[[], datetime],
        resend_after: float = 10.0,
        window: int = 200,
        on_replica_delta: Callable[[bytes], None] | None = None,
    ) -> None:
        self.broker = broker
        self.kiosk_id = outbox.kiosk_id
        self.topics = Topics(broker.topic_root)
        self._outbox = outbox
        self._key = key
        self._status = status
        self._on_replica = on_replica
        self._on_replica_delta = on_replica_delta
        self._on_online = on_online
        self._monotonic = monotonic
        self._utcnow = utcnow
        self._resend_after = resend_after
        self._window = window
        self._inflight: dict[str, float] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._acked = threading.Condition()
        self._sender = threading.Thread(target=self._send_loop, name="outbox-sender", daemon=True)
        self.committed = 0
        self.hub_online = False

        offline = status(KioskState.OFFLINE).model_dump_json(exclude_none=True)
        client = new_client(
            broker,
            f"kiosk-{self.kiosk_id}",
            on_connect=self._on_connect,
            on_disconnect=self._on_disconnect,
            will=Will(self.topics.status(self.kiosk_id), offline),
        )
        router = Router(client)
        router.route(self.topics.replica_snapshot(), lambda m: self._on_replica(bytes(m.payload)))
        router.route(self.topics.replica_delta(), self._take_replica_delta)
        router.route(self.topics.acks(self.kiosk_id), lambda m: self._take_acks(bytes(m.payload)))
        router.route(self.topics.hub_status(), lambda m: self._take_hub_status(bytes(m.payload)))
        self._router = router
        self._client = client

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def start(self) -> None:
        connect(self._client, self.broker)
        self._sender.start()

    def stop(self) -> None:
        """Say goodbye properly: publish offline status, then disconnect."""
        self._stopping.set()
        self._wake.set()
        if self._connected.is_set():
            info = self._client.publish(
                self.topics.status(self.kiosk_id),
                self._status(KioskState.OFFLINE).model_dump_json(exclude_none=True),
                qos=1,
                retain=True,
            )
            info.wait_for_publish(timeout=2)
        self._client.disconnect()
        self._client.loop_stop()
        if self._sender.is_alive():
            self._sender.join(timeout=5)

    def kick(self) -> None:
        """Something new is in the outbox: send it now rather than at the next round."""
        self._wake.set()

    def publish_status(self) -> None:
        if self._connected.is_set():
            self._client.publish(
                self.topics.status(self.kiosk_id),
                self._status(KioskState.ONLINE).model_dump_json(exclude_none=True),
                qos=1,
                retain=True,
            )

    # paho callbacks (network thread) --------------------------------------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: object,
        _flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        _props: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return
        client.subscribe([(topic, 1) for topic in self._router.filters])
        with self._lock:
            self._inflight.clear()  # anything unacked goes again on this connection
        self._connected.set()
        self.publish_status()
        self._wake.set()
        log.info("connected to %s:%s", self.broker.host, self.broker.port)

    def _on_disconnect(
        self,
        _client: mqtt.Client,
        _userdata: object,
        _flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        _props: Properties | None,
    ) -> None:
        if self._connected.is_set() and not self._stopping.is_set():
            log.warning("disconnected from the broker: %s", reason)
        self._connected.clear()
        self.hub_online = False  # learnt again from the retained hub status on reconnect
        self._on_online(False)

    def _take_replica_delta(self, msg: mqtt.MQTTMessage) -> None:
        if self._on_replica_delta is not None:
            self._on_replica_delta(bytes(msg.payload))

    def _take_hub_status(self, payload: bytes) -> None:
        try:
            status = HubStatus.model_validate_json(payload)
        except ValidationError:
            log.warning("ignored a malformed hub status")
            return
        online = status.state is KioskState.ONLINE
        if online and not self.hub_online:
            with self._lock:
                self._inflight.clear()  # the hub may have missed them while it was away
            self._wake.set()
        if online != self.hub_online:
            self.hub_online = online
            # "online" for the student means the hub is reachable, not just the broker
            self._on_online(online)

    def _take_acks(self, payload: bytes) -> None:
        try:
            batch = decode_ack(payload, self._key)
        except WireError as exc:
            log.error("ignored an ack that failed its check: %s", exc)
            return
        done = [a.id for a in batch.acks if a.result is not AckResult.REJECTED]
        removed = self._outbox.remove(done)
        for ack in batch.acks:
            if ack.result is AckResult.REJECTED:
                log.error("hub rejected event %s (seq %s): %s", ack.id, ack.seq, ack.error)
                self._outbox.dead_letter(ack.id, ack.error or "rejected", self._utcnow())
        with self._lock:
            for ack in batch.acks:
                self._inflight.pop(ack.id, None)
        with self._acked:
            self.committed += removed
            self._acked.notify_all()
        self._wake.set()

    def wait_drained(self, timeout: float) -> bool:
        """Block until the outbox is empty (every event acknowledged), or the timeout."""
        deadline = self._monotonic_real() + timeout
        with self._acked:
            while self._outbox.depth() > 0:
                left = deadline - self._monotonic_real()
                if left <= 0:
                    return False
                self._acked.wait(left)
        return True

    @staticmethod
    def _monotonic_real() -> float:
        return time.monotonic()

    # sender thread --------------------------------------------------------------------------

    def _send_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(timeout=min(self._resend_after, 5.0))
            self._wake.clear()
            if self._stopping.is_set() or not self._connected.is_set():
                continue
            try:
                self._send_due()
            except Exception:
                log.exception("sending the outbox failed; will try again")

    def _send_due(self) -> None:
        now = self._monotonic()
        topic = self.topics.events(self.kiosk_id)
        with self._lock:
            inflight = dict(self._inflight)
        sent: dict[str, float] = {}
        for item in self._outbox.pending(self._window):
            last = inflight.get(item.id)
            if last is not None and now - last < self._resend_after:
                continue
            info = self._client.publish(topic, item.payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                break  # connection went away; the next connect resends
            sent[item.id] = now
        with self._lock:
            self._inflight.update(sent)
