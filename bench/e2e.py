"""End-to-end figures on real parts: Mosquitto (deploy/ config), the hub on SQLite, kiosks."""

from __future__ import annotations

import functools
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from hub.link import HubBroker, HubLink
from hub.localbroker import LocalBroker
from hub.store import Store
from kiosk.app import AppSettings, Devices, KioskApp
from kiosk.clock import SystemClock
from kiosk.link import BrokerSettings, KioskLink
from kiosk.outbox import Outbox
from kiosk.screens import ReceiptScreen
from kiosk.session import Cancel, Confirm, Settings
from wire import DenialReason, EventType, KioskState, KioskStatus


@dataclass
class Rig:
    folder: Path
    broker: LocalBroker
    store: Store
    hub: HubLink
    passwords: dict[str, str]
    keys: dict[str, bytes]
    hub_password: str


@contextmanager
def rig(kiosks: list[str], assets: int = 0) -> Iterator[Rig]:
    clock = SystemClock()
    with tempfile.TemporaryDirectory(prefix="cagekeeper-bench-") as tmp:
        folder = Path(tmp)
        hub_password = secrets.token_urlsafe(16)
        passwords = {k: secrets.token_urlsafe(16) for k in kiosks}
        broker = LocalBroker(folder / "broker", {"hub": hub_password, **passwords})
        broker.folder.mkdir()
        broker.start()
        store = Store.open(f"sqlite:///{folder / 'hub.db'}")
        store.add_person("p1", "Bench Person", ["04A1B2C3"])
        for i in range(assets):
            store.add_asset(f"A-{i:05d}", f"Asset {i}", "camera")
        keys = {k: store.add_kiosk(k, k, clock.now()) for k in kiosks}
        hub = HubLink(
            HubBroker("127.0.0.1", broker.port, "hub", hub_password),
            store,
            clock.now,
            replica_interval=0.2,
        )
        hub.start()
        try:
            if not hub.wait_connected(10):
                raise RuntimeError("hub did not connect")
            yield Rig(folder, broker, store, hub, passwords, keys, hub_password)
        finally:
            hub.stop()
            broker.stop()
            store.close()


def throughput(kiosks: int, events: int) -> float:
    """Committed-and-acknowledged events per second from ``kiosks`` kiosks' full outboxes."""
    ids = [f"bench-{i}" for i in range(kiosks)]
    clock = SystemClock()
    with rig(ids) as r:
        links = []
        for kiosk_id in ids:
            box = Outbox(r.folder / kiosk_id / "outbox.db", kiosk_id, r.keys[kiosk_id])
            for _ in range(events):
                box.append(
                    {
                        "type": EventType.DENIED,
                        "reason": DenialReason.UNKNOWN_BADGE,
                        "badge": "DEADBEEF",
                    },
                    clock.now(),
                )
            link = KioskLink(
                BrokerSettings("127.0.0.1", r.broker.port, kiosk_id, r.passwords[kiosk_id]),
                box,
                r.keys[kiosk_id],
                functools.partial(_status, kiosk_id),
                on_replica=lambda _p: None,
                on_online=lambda _o: None,
                monotonic=clock.monotonic,
                utcnow=clock.now,
            )
            links.append((link, box))
        started = time.perf_counter()
        for link, _ in links:
            link.start()
        for link, _ in links:
            if not link.wait_drained(300):
                raise RuntimeError("outbox did not drain")
        elapsed = time.perf_counter() - started
        for link, box in links:
            link.stop()
            box.close()
        committed = len(r.store.ledger_rows())
        if committed != kiosks * events:
            raise RuntimeError(f"ledger has {committed} rows, expected {kiosks * events}")
        return kiosks * events / elapsed


def latencies(sessions: int) -> tuple[list[float], list[float]]:
    """Per session: tap-to-receipt ms and receipt-to-committed ms, on one connected kiosk."""
    clock = SystemClock()
    with rig(["bench-kiosk"], assets=sessions) as r:
        app = KioskApp(
            AppSettings(
                kiosk_id="bench-kiosk",
                session=Settings(kiosk_name="Bench", inactivity=timedelta(minutes=5)),
                data_dir=r.folder / "kiosk",
                key=r.keys["bench-kiosk"],
                broker=BrokerSettings(
                    "127.0.0.1", r.broker.port, "bench-kiosk", r.passwords["bench-kiosk"]
                ),
            ),
            Devices(),
            clock,
        )
        app.start_in_background()
        try:
            app.wait_replica(10)
            to_receipt, to_commit = [], []
            assert app.link is not None
            for i in range(sessions):
                started = time.perf_counter()
                app.submit(app.badge("04A1B2C3"))
                app.submit(app.label(f"CK1:A-{i:05d}"))
                app.submit(Confirm())
                app.wait_for_screen(lambda s: isinstance(s, ReceiptScreen), 10)
                shown = time.perf_counter()
                if not app.link.wait_drained(10):
                    raise RuntimeError("checkout was not acknowledged")
                done = time.perf_counter()
                to_receipt.append((shown - started) * 1000)
                to_commit.append((done - shown) * 1000)
                app.submit(Cancel())
                app.wait_for_screen(lambda s: not isinstance(s, ReceiptScreen), 10)
            return to_receipt, to_commit
        finally:
            app.stop()


def _status(kiosk_id: str, state: KioskState) -> KioskStatus:
    return KioskStatus(kiosk=kiosk_id, state=state)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)
