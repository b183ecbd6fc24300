"""The hub's MQTT side: takes kiosk events in batches, commits, then acks; publishes the replica.

Events are PUBACKed by hand, after the commit, and a kiosk keeps every event until the hub's
signed ack names it; so a hub that dies mid-batch loses nothing, the kiosks send those events
again. Several hubs can share the load through an MQTT v5 shared subscription.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import ValidationError

from hub import __version__
from hub.errors import StoreError
from hub.ingest import Inbound, Ingest
from hub.replica import build_snapshot
from hub.store import Store
from wire import (
    HubStatus,
    KioskState,
    KioskStatus,
    ReplicaPolicy,
    ReplicaSnapshot,
    Topics,
    encode_ack,
)
from wire.replica_delta import diff

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HubBroker:
    host: str
    port: int
    username: str
    password: str
    topic_root: str = "cagekeeper"
    share_group: str | None = "hub"
    # Each hub process needs its own id, or two hubs would keep disconnecting each other.
    client_id: str = field(
        default_factory=lambda: f"cagekeeper-hub-{socket.gethostname()}-{os.getpid()}"
    )
    tls_ca: str | None = None


@dataclass(frozen=True)
class _Received:
    inbound: Inbound
    mid: int
    qos: int


class HubLink:
    def __init__(
        self,
        broker: HubBroker,
        store: Store,
        now: Callable[[], datetime],
        batch_size: int = 500,
        replica_interval: float = 1.0,
        rules: ReplicaPolicy | None = None,
        snapshot_every: float = 30.0,
    ) -> None:
        self.broker = broker
        self.store = store
        self.topics = Topics(broker.topic_root)
        self.ingest = Ingest(store, self.topics)
        self._now = now
        self._batch_size = batch_size
        self._replica_interval = replica_interval
        self._rules = rules or ReplicaPolicy()
        self._queue: queue.Queue[_Received] = queue.Queue()
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._replica_dirty = threading.Event()
        self._replica_digest = ""
        self._replica_version = 0
        # The last snapshot kiosks can reach: deltas are made against it, and the retained copy
        # is refreshed once changes have piled up for ``snapshot_every`` seconds.
        self._last_snapshot: ReplicaSnapshot | None = None
        self._retained_version = 0
        self._snapshot_every = snapshot_every
        self._last_full = 0.0
        # a kiosk came online: it has the retained copy, maybe older than the deltas since
        self._full_wanted = threading.Event()
        self._online: set[str] = set()  # kiosks whose last status said online
        self.committed = 0
        self._workers = [
            threading.Thread(target=self._ingest_loop, name="ingest", daemon=True),
            threading.Thread(target=self._replica_loop, name="replica", daemon=True),
        ]
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=broker.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        client.username_pw_set(broker.username, broker.password)
        if broker.tls_ca:
            client.tls_set(ca_certs=broker.tls_ca)
        client.will_set(
            self.topics.hub_status(),
            HubStatus(state=KioskState.OFFLINE).model_dump_json(exclude_none=True),
            qos=1,
            retain=True,
        )
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.max_inflight_messages_set(100)
        client.on_socket_open = no_delay
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client = client

    def start(self) -> None:
        self._client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self._client.loop_start()
        for w in self._workers:
            w.start()

    def stop(self) -> None:
        self._stopping.set()
        self._replica_dirty.set()
        for w in self._workers:
            w.join(timeout=10)
        if self._connected.is_set():
            offline = HubStatus(state=KioskState.OFFLINE, at=self._now())
            self._client.publish(
                self.topics.hub_status(),
                offline.model_dump_json(exclude_none=True),
                qos=1,
                retain=True,
            ).wait_for_publish(timeout=2)
        self._client.disconnect()
        self._client.loop_stop()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def publish(self, topic: str, payload: bytes) -> bool:
        """QoS 1 publish for other hub parts (alerts); False while the broker is away."""
        if not self._connected.is_set():
            return False
        info = self._client.publish(topic, payload, qos=1)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def republish_replica(self) -> None:
        """Registry changed (or a test wants it now): publish a fresh snapshot soon."""
        self._replica_dirty.set()

    # network thread ------------------------------------------------------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        _u: object,
        _f: mqtt.ConnectFlags,
        reason: ReasonCode,
        _p: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.error("broker refused the hub: %s", reason)
            return
        client.subscribe(
            [(self.topics.all_events(self.broker.share_group), 1), (self.topics.all_status(), 1)]
        )
        self._replica_digest = ""  # publish again: the broker may have lost the retained copy
        self._last_snapshot = None
        self._online.clear()
        self._replica_dirty.set()
        self._connected.set()
        online = HubStatus(state=KioskState.ONLINE, at=self._now(), version=__version__)
        client.publish(
            self.topics.hub_status(), online.model_dump_json(exclude_none=True), qos=1, retain=True
        )
        log.info("hub connected to %s:%s", self.broker.host, self.broker.port)

    def _on_disconnect(
        self,
        _c: mqtt.Client,
        _u: object,
        _f: mqtt.DisconnectFlags,
        reason: ReasonCode,
        _p: Properties | None,
    ) -> None:
        self._connected.clear()
        if not self._stopping.is_set():
            log.warning("hub disconnected from the broker: %s", reason)

    def _on_message(self, client: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        if msg.topic.endswith("/status"):
            try:
                self._take_status(msg)
            except Exception:  # an error here must not stop paho's network thread
                log.exception("could not record a kiosk status from %s", msg.topic)
            client.ack(msg.mid, msg.qos)
            return
        self._queue.put(_Received(Inbound(msg.topic, bytes(msg.payload)), msg.mid, msg.qos))

    def _take_status(self, msg: mqtt.MQTTMessage) -> None:
        kiosk = self.topics.kiosk_of(msg.topic)
        try:
            status = KioskStatus.model_validate_json(msg.payload)
        except ValidationError as exc:
            log.warning("ignored a malformed status on %s: %s", msg.topic, exc.errors()[:1])
            return
        if status.kiosk != kiosk:
            log.warning("ignored a status for %s on %s", status.kiosk, msg.topic)
            return
        try:
            # a retained copy (sent on subscribing) may be hours old: no use for timing the clock
            self.store.record_status(status, msg.payload.decode(), self._now(), live=not msg.retain)
        except StoreError as exc:
            log.error("could not record kiosk status: %s", exc)
        if status.state is not KioskState.ONLINE:
            self._online.discard(status.kiosk)
        elif status.kiosk not in self._online:  # it just came (back): it has the retained copy
            self._online.add(status.kiosk)
            self._full_wanted.set()
            self._replica_dirty.set()

    # workers -------------------------------------------------------------------------------

    def _ingest_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                first = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            batch = [first]
            while len(batch) < self._batch_size:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)

    def _commit(self, batch: list[_Received]) -> None:
        try:
            acks = self.ingest.process([r.inbound for r in batch], self._now())
        except Exception as exc:
            # Nothing committed and nothing acknowledged: kiosks send these again (and the
            # broker redelivers after a reconnect), so the ingest thread carries on.
            if isinstance(exc, StoreError):
                log.error("commit failed, will get these events again: %s", exc)
            else:
                log.exception("ingest failed on a batch; will get these events again")
            self._client.reconnect()
            return
        for kiosk, ack_batch in acks.items():
            key = self.store.kiosk_key(kiosk)
            if key is None:
                continue
            self._client.publish(self.topics.acks(kiosk), encode_ack(ack_batch, key), qos=1)
            self.committed += sum(1 for a in ack_batch.acks if a.result.value == "committed")
        for r in batch:
            self._client.ack(r.mid, r.qos)
        if acks:
            self._replica_dirty.set()

    def _replica_loop(self) -> None:
        while not self._stopping.is_set():
            # also wakes to refresh the retained snapshot and catches registry edits by the CLI
            self._replica_dirty.wait(timeout=min(10.0, self._snapshot_every))
            if self._stopping.is_set():
                return
            self._replica_dirty.clear()
            if self._connected.is_set():
                try:
                    self._publish_replica()
                except Exception:
                    log.exception("publishing the replica failed")
            self._stopping.wait(self._replica_interval)

    def _publish_replica(self) -> None:
        """A delta for each change, and the full retained snapshot now and then.

        The retained snapshot is what a kiosk gets when it (re)subscribes, however long it was
        away; deltas keep connected kiosks current without resending the whole registry.
        """
        now = self._now()
        rows = self.store.replica_rows(now)
        draft = build_snapshot(rows, 0, now, self._rules)
        digest_source = draft.model_dump_json(exclude={"at", "version"})
        digest = hashlib.sha256(digest_source.encode()).hexdigest()
        last = self._last_snapshot
        if digest == self._replica_digest:
            if last is None or self._retained_version >= last.version:
                self._full_wanted.clear()  # the retained copy is current: nothing to refresh
            elif self._full_due():
                self._publish_full(last)
            return
        # Versions must grow across hub restarts too: millisecond time, bumped if it stalls.
        self._replica_version = max(self._replica_version + 1, int(now.timestamp() * 1000))
        snap = draft.model_copy(update={"version": self._replica_version})
        delta = diff(last, snap).model_dump_json() if last is not None else None
        if delta is None or self._full_due() or len(delta) * 2 > len(digest_source):
            sent = self._publish_full(snap)  # due, or the change is most of the registry
        else:
            info = self._client.publish(self.topics.replica_delta(), delta, qos=1)
            sent = info.rc == mqtt.MQTT_ERR_SUCCESS
        if sent:
            self._replica_digest = digest
            self._last_snapshot = snap

    def _full_due(self) -> bool:
        if self._full_wanted.is_set():
            return True
        return time.monotonic() - self._last_full >= self._snapshot_every

    def _publish_full(self, snap: ReplicaSnapshot) -> bool:
        info = self._client.publish(
            self.topics.replica_snapshot(), snap.model_dump_json(), qos=1, retain=True
        )
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return False
        self._full_wanted.clear()
        self._retained_version = snap.version
        self._last_full = time.monotonic()
        return True


def no_delay(_client: object, _userdata: object, sock: Any) -> None:
    """Turn off Nagle's algorithm on the MQTT socket: small QoS 1 packets otherwise wait for the
    peer's delayed ACK (~40 ms per event and ack)."""
    with contextlib.suppress(AttributeError, OSError):  # not TCP (e.g. a websocket wrapper)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
