"""The hub's MQTT side: takes kiosk events in batches, commits, then acks; publishes the replica.

Events are PUBACKed by hand, after the commit, and a kiosk keeps every event until the hub's
signed ack names it; so a hub that dies mid-batch loses nothing, the kiosks send those events
again. Several hubs can share the load through an MQTT v5 shared subscription.

Each hub keeps a persistent session on the broker (a stable client id, clean start off, a
session expiry): while it restarts or is down, the broker queues its share of the events and
redelivers what it had sent but not yet seen acknowledged, so nothing waits on a resend.

How Mosquitto 2.0 treats a shared subscription (read in its src/subs.c and handle_connect.c):
each message goes to the group's members in turn, connected or not, so a stopped hub whose
session is kept still gets its turn, queued for it (up to max_queued_messages) and delivered
when it returns; nothing is handed on to a member that is there, and when the session expires
its queue is dropped. What the broker had sent a member and not seen PUBACKed stays in the
session and goes again, DUP set, on its return; the ledger's dedup by event id makes those
duplicates. Hence a stopped hub is to be restarted, not left: its share waits for it.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import ValidationError

from hub import __version__
from hub.errors import ConfigError, StoreError
from hub.ingest import Inbound, Ingest
from hub.replica_feed import ReplicaFeed
from hub.store import Store
from mqttlink import Broker, Router, TlsSetupError, Will, connect, new_client
from wire import (
    HubStatus,
    KioskState,
    KioskStatus,
    ReplicaPolicy,
    Topics,
    encode_ack,
)

log = logging.getLogger(__name__)


DEFAULT_INSTANCE = "main"
DEFAULT_SESSION_EXPIRY = 24 * 3600  # seconds: a day outlasts a maintenance window


def hub_client_id(instance: str = DEFAULT_INSTANCE) -> str:
    """The same id on every start of this hub process (host name and instance name), so the
    broker hands it the session it left; hub processes on one host differ by instance."""
    return f"cagekeeper-hub-{socket.gethostname()}-{instance}"


@dataclass(frozen=True)
class HubBroker:
    host: str
    port: int
    username: str
    password: str
    topic_root: str = "cagekeeper"
    share_group: str | None = "hub"
    # Each hub process needs its own id, or two hubs would keep disconnecting each other, and
    # the same one after a restart, or the broker keeps nothing for it.
    client_id: str = field(default_factory=hub_client_id)
    # TLS unless false; the broker's certificate must chain to tls_ca (a PEM file; the system's
    # CAs when None) and name host.
    tls: bool = True
    tls_ca: str | None = None
    # How long the broker keeps the session (subscriptions, queued and unacknowledged events)
    # after the hub is gone, in seconds; 0 ends it at once, as a clean session would.
    session_expiry: int = DEFAULT_SESSION_EXPIRY


@dataclass(frozen=True)
class _Received:
    inbound: Inbound
    mid: int
    qos: int
    connection: int  # which of the hub's connections it came on (see HubLink._commit)


class HubLink:
    def __init__(
        self,
        broker: HubBroker,
        store: Store,
        now: Callable[[], datetime],
        batch_size: int = 500,
        linger: float = 0.05,
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
        self._linger = linger  # seconds a batch may wait to fill (see _ingest_loop)
        self._replica_interval = replica_interval
        self._rules = rules or ReplicaPolicy()
        self._queue: queue.Queue[_Received] = queue.Queue()
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._replica_dirty = threading.Event()
        self._replica = ReplicaFeed(
            store, self._publish_replica, self.topics, self._rules, snapshot_every
        )
        # a kiosk came online: it has the retained copy, maybe older than the deltas since
        self._full_wanted = self._replica.whole_wanted
        self._online: set[str] = set()  # kiosks whose last status said online
        self.committed = 0
        self._connection = 0  # counts the broker connections made (paho's thread)
        self._workers = [
            threading.Thread(target=self._ingest_loop, name="ingest", daemon=True),
            threading.Thread(target=self._replica_loop, name="replica", daemon=True),
        ]
        self._endpoint = Broker(
            broker.host,
            broker.port,
            broker.username,
            broker.password,
            tls=broker.tls,
            tls_ca=broker.tls_ca,
        )
        try:
            client = new_client(
                self._endpoint,
                broker.client_id,
                on_connect=self._on_connect,
                on_disconnect=self._on_disconnect,
                will=Will(
                    self.topics.hub_status(),
                    HubStatus(state=KioskState.OFFLINE).model_dump_json(exclude_none=True),
                ),
                manual_ack=True,  # an event is PUBACKed after its commit (_commit)
                # an ack batch per kiosk per commit: room for a whole fleet's before a PUBACK
                max_inflight=1000,
            )
        except TlsSetupError as exc:
            raise ConfigError(str(exc)) from exc
        router = Router(client, unmatched=self._take_other)
        router.route(self.topics.all_events(), self._take_event)
        router.route(self.topics.all_status(), self._take_status_message)
        self._client = client

    def start(self) -> None:
        connect(self._client, self._endpoint, session_expiry=self.broker.session_expiry)
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
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        _p: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.error("broker refused the hub: %s", reason)
            return
        self._connection += 1
        self._subscribe(client)
        self._replica.resend()  # publish again: the broker may have lost the retained copy
        self._online.clear()
        self._replica_dirty.set()
        self._connected.set()
        online = HubStatus(state=KioskState.ONLINE, at=self._now(), version=__version__)
        client.publish(
            self.topics.hub_status(), online.model_dump_json(exclude_none=True), qos=1, retain=True
        )
        log.info(
            "hub connected to %s:%s as %s (%s)",
            self.broker.host,
            self.broker.port,
            self.broker.client_id,
            "its session resumed" if flags.session_present else "a new session",
        )

    def _subscribe(self, client: mqtt.Client) -> None:
        """Subscribe on every connect, resumed session or not: the broker may have lost the
        session (expired, or restarted without its saved state), and subscribing again to a
        filter the session has only replaces it, so nothing arrives twice.

        Statuses come at QoS 0, so the broker never queues them for the hub while it is away:
        a stale status replayed on return would pass for a live one and time a kiosk's clock
        wrongly; the retained copies, marked retained, come on each subscribe instead.
        """
        client.subscribe(
            [(self.topics.all_events(self.broker.share_group), 1), (self.topics.all_status(), 0)]
        )

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

    def _take_event(self, msg: mqtt.MQTTMessage) -> None:
        """Kept for the ingest thread, which PUBACKs it after the commit."""
        inbound = Inbound(msg.topic, bytes(msg.payload))
        self._queue.put(_Received(inbound, msg.mid, msg.qos, self._connection))

    def _take_status_message(self, msg: mqtt.MQTTMessage) -> None:
        try:
            self._take_status(msg)
        finally:
            self._client.ack(msg.mid, msg.qos)

    def _take_other(self, msg: mqtt.MQTTMessage) -> None:
        """Nothing else is subscribed to; PUBACKed all the same, so nothing is sent again."""
        log.warning("ignored a message on %s", msg.topic)
        self._client.ack(msg.mid, msg.qos)

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
            if self._linger > 0 and self._queue.qsize() < self._batch_size:
                # A commit has a fixed cost of about 18 statements: events trickling in from
                # a thousand kiosks are taken a few at a time unless the batch is given a
                # moment to fill. One wait, not one per message.
                self._stopping.wait(self._linger)
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
            # a message from an earlier connection is not acknowledged on this one: its packet
            # id may now name another message (a broker that lost the session numbers anew);
            # the broker sends it again, and the ledger answers it as a duplicate
            if r.connection == self._connection:
                self._client.ack(r.mid, r.qos)
        if acks:
            self._replica_dirty.set()

    def _replica_loop(self) -> None:
        while not self._stopping.is_set():
            # Wakes early after a commit; otherwise reads the change log each interval anyway,
            # for what others write (CLI, dashboard, another hub) and what time alone changes.
            self._replica_dirty.wait(timeout=self._replica_interval)
            if self._stopping.is_set():
                return
            self._replica_dirty.clear()
            if self._connected.is_set():
                try:
                    self._replica.step(self._now())
                except Exception:
                    log.exception("publishing the replica failed")
            self._stopping.wait(self._replica_interval)

    def _publish_replica(self, topic: str, payload: str, retain: bool) -> bool:
        """QoS 1 publish for the replica feed; False if it did not go to the broker."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        return info.rc == mqtt.MQTT_ERR_SUCCESS
