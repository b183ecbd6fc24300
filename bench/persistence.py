"""What the broker's persistence costs a hub catching up, and what it keeps through a crash.

Run ``python -m bench.persistence``. Mosquitto runs the project's configuration
(deploy/mosquitto/, through ``LocalBroker``) with only its persistence lines changed per row;
the row "shipped" is the file exactly as deployed. Each round, on a fresh broker and a fresh
SQLite hub store:

1. a retained message of ``--ballast-mb`` MB stands on the broker, as a large cage's replica
   snapshot does (every save writes the whole state, this included); a ``HubLink`` connects,
   subscribes and stops, leaving its session;
2. a kiosk publishes ``--events`` signed events at QoS 1, queued for the hub while it is away
   (queued/s: until the broker has acknowledged the last);
3. the hub starts again and commits them all (hub catch-up/s: from its start to its last
   commit; the broker saves while it hands them over, as each release from the queue counts);
4. with the hub stopped again, ``--events`` more are queued, the broker is killed with SIGKILL
   and started again: how many of those it kept.

Figures are medians of ``--repeat`` rounds per row; rows take turns within each round.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hub.link import HubBroker, HubLink
from hub.localbroker import DEPLOY_DIR, LocalBroker, local_pki
from hub.store import Store
from wire import CustodyEvent, DenialReason, EventType, Topics, encode_event
from wire.ids import uuid7

KIOSK = "bench-1"
TOPICS = Topics()
HUB_SESSION = "bench-hub"
BALLAST = f"{TOPICS.base}/bench/ballast"
WAIT = 120.0  # seconds before a phase counts as stuck
PERSISTENCE_KEYS = ("persistence", "autosave_interval", "autosave_on_changes")

# label -> the persistence lines in place of the shipped ones (None: the shipped file as is)
VARIANTS: dict[str, tuple[str, ...] | None] = {
    "no persistence": ("persistence false",),
    "every 60 s": ("persistence true", "autosave_interval 60"),
    "on 10 changes": ("persistence true", "autosave_on_changes true", "autosave_interval 10"),
    "on 1000 changes": ("persistence true", "autosave_on_changes true", "autosave_interval 1000"),
    "shipped": None,
}


@dataclass(frozen=True)
class Round:
    queued_rate: float
    catch_up_rate: float
    kept: int


def _is_persistence(line: str) -> bool:
    return line.split(maxsplit=1)[:1] in ([k] for k in PERSISTENCE_KEYS)


def shipped_persistence() -> str:
    lines = (DEPLOY_DIR / "cagekeeper.conf").read_text().splitlines()
    return ", ".join(ln for ln in lines if _is_persistence(ln))


def variant_dir(folder: Path, lines: tuple[str, ...] | None) -> Path:
    """deploy/mosquitto/ with its persistence lines replaced by ``lines``."""
    if lines is None:
        return DEPLOY_DIR
    folder.mkdir(parents=True)
    shutil.copy(DEPLOY_DIR / "acl", folder / "acl")
    lines_now = (DEPLOY_DIR / "cagekeeper.conf").read_text().splitlines()
    kept = [ln for ln in lines_now if not _is_persistence(ln)]
    (folder / "cagekeeper.conf").write_text("\n".join([*kept, *lines]) + "\n")
    return folder


def payloads(count: int, key: bytes, first_seq: int, now: datetime) -> list[bytes]:
    """Signed refusals as a kiosk sends them (the hub appends them to its ledger), a
    millisecond apart in the hour before ``now``."""
    start = now - timedelta(hours=1)
    out = []
    for n in range(count):
        at = start + timedelta(milliseconds=first_seq + n)
        event = CustodyEvent(
            id=uuid7(int(at.timestamp() * 1000)),
            kiosk=KIOSK,
            seq=first_seq + n,
            at=at,
            type=EventType.DENIED,
            reason=DenialReason.NOT_A_LABEL,
        )
        out.append(encode_event(event, key))
    return out


class Counter:
    """Counts callbacks from paho's thread; ``wait`` until a number is reached."""

    def __init__(self) -> None:
        self.count = 0
        self.marker = False
        self._cond = threading.Condition()

    def add(self, marker: bool = False) -> None:
        with self._cond:
            self.count += 1
            self.marker = self.marker or marker
            self._cond.notify_all()

    def wait(self, done: Callable[[], bool], what: str) -> None:
        with self._cond:
            if not self._cond.wait_for(done, WAIT):
                raise TimeoutError(f"{what}: {self.count} so far")


@contextmanager
def client(
    port: int, user: str, password: str, client_id: str, persistent: bool = False
) -> Iterator[mqtt.Client]:
    c = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
    )
    c.username_pw_set(user, password)
    c.tls_set_context(local_pki().client_context())
    c.max_inflight_messages_set(100)
    connected = threading.Event()
    c.on_connect = lambda *_a: connected.set()
    props = None
    if persistent:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
    c.connect("127.0.0.1", port, clean_start=not persistent, properties=props)
    c.loop_start()
    try:
        if not connected.wait(10):
            raise TimeoutError(f"{client_id} could not connect")
        yield c
    finally:
        c.disconnect()
        c.loop_stop()


def subscribe(c: mqtt.Client) -> None:
    done = threading.Event()
    c.on_subscribe = lambda *_a: done.set()
    c.subscribe(TOPICS.all_events("hub"), qos=1)
    if not done.wait(10):
        raise TimeoutError("no SUBACK")


def publish_all(c: mqtt.Client, topic: str, items: list[bytes]) -> float:
    """Seconds until the broker has acknowledged every message."""
    acked = Counter()
    c.on_publish = lambda *_a: acked.add()
    began = time.perf_counter()
    for payload in items:
        c.publish(topic, payload, qos=1)
    acked.wait(lambda: acked.count >= len(items), "PUBACKs")
    return time.perf_counter() - began


def one_round(folder: Path, deploy: Path, events: int, ballast_mb: float) -> Round:
    hub_pw, kiosk_pw = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    broker = LocalBroker(folder / "broker", {"hub": hub_pw, KIOSK: kiosk_pw}, deploy_dir=deploy)
    now = datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    store = Store.open(f"sqlite:///{folder / 'hub.db'}")
    key = store.add_kiosk(KIOSK, "Bench kiosk", now - timedelta(days=1))
    topic = TOPICS.events(KIOSK)
    first, second = payloads(events, key, 1, now), payloads(events, key, events + 1, now)
    session = HubBroker(
        "127.0.0.1",
        broker.port,
        "hub",
        hub_pw,
        client_id=HUB_SESSION,
        tls_ca=str(broker.ca_file),
    )
    marker = b"marker"
    got = Counter()

    later = set(second)

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        # only the events queued in step 4: the hub may stop before its last PUBACKs go out,
        # and the broker then hands those over again too
        if msg.payload == marker or msg.payload in later:
            got.add(marker=msg.payload == marker)

    broker.folder.mkdir(parents=True)
    broker.start()
    try:
        with client(broker.port, "hub", hub_pw, "bench-ballast") as c:
            ballast = b"x" * int(ballast_mb * 1_000_000)
            c.publish(BALLAST, ballast, qos=1, retain=True).wait_for_publish(WAIT)
        hub = HubLink(session, store, lambda: now)
        hub.start()  # subscribes; its session stays when it stops
        if not hub.wait_connected(10):
            raise TimeoutError("the hub could not connect")
        hub.stop()
        with client(broker.port, KIOSK, kiosk_pw, f"{KIOSK}-a") as kiosk:
            queued = publish_all(kiosk, topic, first)
        hub = HubLink(session, store, lambda: now)
        began = time.perf_counter()
        hub.start()
        wait_for(lambda: hub.committed >= events, "the hub's catch-up")
        caught_up = time.perf_counter() - began
        hub.stop()
        with client(broker.port, KIOSK, kiosk_pw, f"{KIOSK}-b") as kiosk:
            publish_all(kiosk, topic, second)
        broker.kill()
        broker.start()
        with client(broker.port, "hub", hub_pw, HUB_SESSION, persistent=True) as c:
            c.on_message = on_message
            subscribe(c)  # as the hub does on every connect
            with client(broker.port, KIOSK, kiosk_pw, f"{KIOSK}-c") as kiosk:
                kiosk.publish(topic, marker, qos=1)
                got.wait(lambda: got.marker, "the marker")
    finally:
        broker.stop()
        store.close()
    return Round(events / queued, events / caught_up, got.count - 1)


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    pause = threading.Event()
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        pause.wait(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ballast-mb", type=float, default=2.0)
    parser.add_argument("--only", nargs="*", choices=list(VARIANTS), help="rows to run")
    args = parser.parse_args()
    rows = args.only or list(VARIANTS)
    load_before = os.getloadavg()
    results: dict[str, list[Round]] = {}
    with tempfile.TemporaryDirectory(prefix="cagekeeper-bench-") as tmp:
        for n in range(args.repeat):
            for label in rows:
                base = Path(tmp) / f"{n}-{label.replace(' ', '-')}"
                deploy = variant_dir(base / "deploy", VARIANTS[label])
                r = one_round(base, deploy, args.events, args.ballast_mb)
                results.setdefault(label, []).append(r)
                print(f"round {n + 1}, {label}: {r}", file=sys.stderr, flush=True)
    size = len(payloads(1, bytes(32), 1, datetime.now(UTC))[0])
    print(
        f"{os.cpu_count()} CPUs; {args.events} events of {size} B; a {args.ballast_mb:g} MB "
        f"retained message; medians of {args.repeat} rounds"
    )
    print(f"shipped: {shipped_persistence()}")
    print(f"{'persistence':<18}{'queued/s':>10}{'hub catch-up/s':>16}{'kept after kill -9':>20}")
    for label in rows:
        rs = results[label]
        kept = sorted(r.kept for r in rs)
        print(
            f"{label:<18}"
            f"{statistics.median(r.queued_rate for r in rs):>10.0f}"
            f"{statistics.median(r.catch_up_rate for r in rs):>16.0f}"
            f"{f'{statistics.median(kept):.0f} ({kept[0]}-{kept[-1]})':>20}"
        )
    after = os.getloadavg()
    print(
        f"load average (1/5/15 min) before: {' '.join(f'{x:.2f}' for x in load_before)}, "
        f"after: {' '.join(f'{x:.2f}' for x in after)}"
    )


if __name__ == "__main__":
    main()
