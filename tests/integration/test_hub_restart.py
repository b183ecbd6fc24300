"""Nothing sent while a hub is away is lost, even by a sender that never sends anything twice.

The hub keeps a persistent MQTT session (docs/protocol.md section 1): the broker queues the
hub's share of the events while the hub restarts or is down, redelivers what it had sent and
not seen acknowledged, and keeps its queues across its own restart (deploy/mosquitto/'s
persistence). Real parts: Mosquitto with the project's configuration, hubs as OS processes
killed with SIGKILL, SQLite files; the sender is a plain QoS 1 client logged in as a kiosk,
publishing signed events once each, as a third-party device might.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from hub.localbroker import DEPLOY_DIR, LocalBroker, local_pki
from hub.store import Store
from tests.events import denial_event
from tests.fakes.hub_process import HubProcess
from tests.mqtt_probe import Probe
from tests.waiting import wait_until
from wire import (
    AckResult,
    CustodyEvent,
    HubStatus,
    KioskState,
    KioskStatus,
    Topics,
    decode_ack,
    encode_event,
)

KIOSK = "box-1"
TOPICS = Topics()
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # the hubs' clock; the events are just before
WAIT = 30.0


class Sender:
    """A kiosk's broker login, publishing at QoS 1 and never resending: what the broker
    acknowledges is all it ever sends."""

    def __init__(self, port: int, password: str) -> None:
        self._cond = threading.Condition()
        self._acked = 0
        connected = threading.Event()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"{KIOSK}-sender",
            protocol=mqtt.MQTTv5,
        )
        self.client.username_pw_set(KIOSK, password)
        self.client.tls_set_context(local_pki().client_context())
        self.client.max_inflight_messages_set(100)
        self.client.reconnect_delay_set(min_delay=1, max_delay=1)
        self.client.on_connect = lambda *_a: connected.set()
        self.client.on_publish = self._on_publish
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not connected.wait(10):
            raise TimeoutError("the sender could not connect")

    def _on_publish(self, *_a: object) -> None:
        with self._cond:
            self._acked += 1
            self._cond.notify_all()

    def send(self, payloads: Sequence[bytes]) -> None:
        """Publish each once; return when the broker has acknowledged them all."""
        with self._cond:
            want = self._acked + len(payloads)
        for payload in payloads:
            self.client.publish(TOPICS.events(KIOSK), payload, qos=1)
        with self._cond:
            if not self._cond.wait_for(lambda: self._acked >= want, WAIT):
                raise TimeoutError(f"the broker acknowledged {self._acked} of {want}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Site:
    """A broker from deploy/mosquitto/, one kiosk login, and hub stores on SQLite files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hub_password = secrets.token_urlsafe(16)
        self.kiosk_password = secrets.token_urlsafe(16)
        self.key = secrets.token_bytes(32)
        self.broker = LocalBroker(
            folder / "broker", {"hub": self.hub_password, KIOSK: self.kiosk_password}
        )
        self.stores: dict[str, Store] = {}
        self.hubs: list[HubProcess] = []
        self.sender: Sender | None = None
        self.watcher: Probe | None = None

    def start(self) -> None:
        self.broker.folder.mkdir(parents=True)
        self.broker.start()
        self.sender = Sender(self.broker.port, self.kiosk_password)
        self.watch()

    def watch(self) -> None:
        """(Again, after a broker restart:) the kiosk's own view, the hub's presence and its
        signed acks, in a session of its own."""
        if self.watcher is not None:
            self.watcher.close()
        self.watcher = Probe(self.broker.port, KIOSK, self.kiosk_password, f"{KIOSK}-watcher")
        self.watcher.subscribe(TOPICS.acks(KIOSK))
        self.watcher.subscribe(TOPICS.hub_status())

    def store(self, name: str) -> Store:
        """A hub database with this kiosk registered (a day before the events) under its key."""
        if name not in self.stores:
            store = Store.open(f"sqlite:///{self.folder / f'{name}.db'}")
            store.add_kiosk(KIOSK, "Return box", AT - timedelta(days=1), key=self.key)
            self.stores[name] = store
        return self.stores[name]

    def hub(self, db: str = "hub", instance: str | None = None) -> HubProcess:
        """Start a hub process on database ``db`` with the broker session of ``instance``."""
        url = f"sqlite:///{self.folder / f'{db}.db'}"
        self.store(db)
        hub = HubProcess(
            url, self.broker.port, self.hub_password, AT, self.folder / f"{db}.log", instance
        )
        self.hubs.append(hub)
        hub.start()
        return hub

    def wait_online(self, hubs: int) -> None:
        """Until ``hubs`` hubs have said "online": each says it just after subscribing, on the
        same connection, so the broker has their subscriptions by then."""
        assert self.watcher is not None
        status = TOPICS.hub_status()

        def online() -> int:
            assert self.watcher is not None
            return sum(
                1
                for m in self.watcher.messages
                if m.topic == status
                and HubStatus.model_validate_json(m.payload).state is KioskState.ONLINE
            )

        wait_until(lambda: online() >= hubs, f"{hubs} hubs online", WAIT)

    def acks(self) -> Counter[tuple[str, AckResult]]:
        assert self.watcher is not None
        got: Counter[tuple[str, AckResult]] = Counter()
        for m in list(self.watcher.messages):
            if m.topic == TOPICS.acks(KIOSK):
                got.update((a.id, a.result) for a in decode_ack(m.payload, self.key).acks)
        return got

    def ledger_ids(self, db: str = "hub") -> list[str]:
        return [row.id for row in self.store(db).ledger_rows(KIOSK)]

    def close(self) -> None:
        for hub in self.hubs:
            hub.stop()
        for client in (self.sender, self.watcher):
            if client is not None:
                client.close()
        self.broker.stop()
        for store in self.stores.values():
            store.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    s = Site(tmp_path)
    try:
        s.start()
        yield s
    finally:
        s.close()


def signed(key: bytes, first: int, count: int) -> tuple[list[CustodyEvent], list[bytes]]:
    """Events ``first``..``first + count - 1`` of the kiosk (refusals: the hub only appends
    them), a millisecond apart in the hour before the hubs' clock, and their signed bytes."""
    start = AT - timedelta(hours=1)
    events = [
        denial_event(KIOSK, seq, start + timedelta(milliseconds=seq))
        for seq in range(first, first + count)
    ]
    return events, [encode_event(e, key) for e in events]


def autosave_changes() -> int:
    """How many changes Mosquitto may hold unsaved under the shipped configuration."""
    conf = dict(
        line.split(maxsplit=1)
        for line in (DEPLOY_DIR / "cagekeeper.conf").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert conf.get("persistence") == "true" and conf.get("autosave_on_changes") == "true"
    return int(conf["autosave_interval"])


def test_a_hub_killed_mid_commit_gets_everything_sent_meanwhile_exactly_once(site: Site) -> None:
    hub = site.hub()
    site.wait_online(1)
    events, payloads = signed(site.key, 1, 1000)
    assert site.sender is not None
    # the hub commits a first batch and dies before acknowledging it to anyone
    hub.stall_next_commit()
    site.sender.send(payloads[:100])
    hub.wait_stalled()
    hub.kill()
    stalled = len(site.ledger_ids())
    assert stalled > 0 and not site.acks()
    # the rest while no hub is there: the broker keeps them in the hub's session
    site.sender.send(payloads[100:])

    site.hub()  # started again: the same session, the same database
    ids = [e.id for e in events]
    wait_until(lambda: len(site.ledger_ids()) >= len(ids), "all 1,000 committed", WAIT)
    wait_until(lambda: {i for i, _ in site.acks()} >= set(ids), "every event acknowledged", WAIT)

    ledger = site.ledger_ids()
    assert sorted(ledger) == sorted(ids)  # each once, none missing
    acks = site.acks()
    assert all(acks[(i, AckResult.COMMITTED)] <= 1 for i in ids)
    assert not [a for a in acks if a[1] is AckResult.REJECTED]
    # what the first hub had committed came again (the broker's redelivery) as duplicates
    assert sum(1 for i, r in acks if r is AckResult.DUPLICATE) >= stalled


def test_queued_events_survive_a_broker_restart_while_the_hub_is_down(site: Site) -> None:
    hub = site.hub()
    site.wait_online(1)
    hub.stop()  # an orderly stop keeps the session too (a restart by the service manager)
    events, payloads = signed(site.key, 1, 300)
    assert site.sender is not None
    site.sender.send(payloads)
    site.broker.stop()  # SIGTERM: Mosquitto saves its state as it exits
    site.broker.start()  # on the same port
    assert site.broker.persistence_file.exists(), "broker persistence wrote nothing"
    site.watch()

    site.hub()
    ids = [e.id for e in events]
    wait_until(lambda: len(site.ledger_ids()) >= len(ids), "all 300 committed", WAIT)
    wait_until(lambda: {i for i, _ in site.acks()} >= set(ids), "every event acknowledged", WAIT)
    assert sorted(site.ledger_ids()) == sorted(ids)


def test_a_broker_crash_loses_at_most_what_came_since_its_last_autosave(site: Site) -> None:
    hub = site.hub()
    site.wait_online(1)
    hub.kill()
    unsaved = autosave_changes()
    sent = unsaved * 5 // 2
    events, payloads = signed(site.key, 1, sent)
    assert site.sender is not None
    site.sender.send(payloads)
    site.broker.kill()  # no saving on the way out
    site.broker.start()

    site.hub()
    # the queue as of the last save: the events in the order sent, all but the last few
    kept = {e.id for e in events[: sent - unsaved]}
    wait_until(lambda: kept <= set(site.ledger_ids()), "the saved events committed", WAIT)
    ledger = site.ledger_ids()
    assert len(ledger) == len(set(ledger)) <= sent


def test_a_killed_hubs_share_waits_for_it_while_the_other_hub_takes_its_own(site: Site) -> None:
    """Mosquitto 2.0 deals a shared subscription's messages to its members in turn, and a
    member whose session is kept gets its turn while it is away: its share is queued for it,
    not given to the hub that is there. Each hub here has its own database, so which hub
    committed what shows."""
    first = site.hub("hub-a", instance="a")
    site.hub("hub-b", instance="b")
    site.wait_online(2)
    first.kill()
    events, payloads = signed(site.key, 1, 200)
    assert site.sender is not None
    site.sender.send(payloads)

    wait_until(lambda: len(site.ledger_ids("hub-b")) >= 100, "hub-b's half", WAIT)
    assert site.ledger_ids("hub-a") == []
    site.hub("hub-a", instance="a")  # back: the session it left, with its half in it
    wait_until(lambda: len(site.ledger_ids("hub-a")) >= 100, "hub-a's half", WAIT)

    a, b = site.ledger_ids("hub-a"), site.ledger_ids("hub-b")
    assert len(a) == len(b) == 100
    assert sorted(a + b) == sorted(e.id for e in events)  # each event at one hub, once


def test_a_status_sent_while_the_hub_is_away_is_not_taken_for_a_live_one(site: Site) -> None:
    """The session keeps events for the hub, not statuses: one made two hours before the hub
    reads it would time the kiosk's clock two hours behind. The hub gets the broker's
    retained copy, marked as such, and keeps it without timing the clock."""
    hub = site.hub()
    site.wait_online(1)
    hub.kill()
    stale = KioskStatus(kiosk=KIOSK, state=KioskState.ONLINE, at=AT - timedelta(hours=2))
    payload = stale.model_dump_json(exclude_none=True)
    assert site.watcher is not None
    site.watcher.publish(TOPICS.status(KIOSK), payload, retain=True)

    site.hub()
    store = site.store("hub")
    wait_until(
        lambda: (
            [(k.state, k.last_seen) for k in store.kiosk_views() if k.id == KIOSK]
            == [("online", AT)]
        ),
        "the retained status recorded",
        WAIT,
    )
    assert KIOSK not in store.kiosk_clocks()
