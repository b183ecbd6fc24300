"""End-to-end figures on real parts: Mosquitto (deploy/ config), the hub on SQLite, kiosks."""

from __future__ import annotations

import functools
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select

from hub.link import HubBroker, HubLink
from hub.localbroker import LocalBroker
from hub.store import Store
from hub.store.schema import assets as assets_table
from kiosk.app import AppSettings, Devices, KioskApp
from kiosk.clock import SystemClock
from kiosk.link import BrokerSettings, KioskLink
from kiosk.outbox import Outbox
from kiosk.screens import ReceiptScreen
from kiosk.session import Cancel, Confirm, Settings
from wire import DenialReason, EventType, KioskState, KioskStatus, ReturnCondition

PEOPLE = [(f"p{i}", f"Bench Person {i}", f"04A1B2{i:02X}") for i in range(1, 21)]
CAGE = "Bench cage"
LOAN = timedelta(hours=48)
Traffic = Literal["custody", "denied"]


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
    """Broker, store and hub link; a registry of ``assets`` cameras (48-hour loans, a service
    rule), 20 people, and the kiosks standing in one cage, so returns move items there."""
    clock = SystemClock()
    with tempfile.TemporaryDirectory(prefix="cagekeeper-bench-") as tmp:
        folder = Path(tmp)
        hub_password = secrets.token_urlsafe(16)
        passwords = {k: secrets.token_urlsafe(16) for k in kiosks}
        broker = LocalBroker(folder / "broker", {"hub": hub_password, **passwords})
        broker.folder.mkdir()
        broker.start()
        store = Store.open(f"sqlite:///{folder / 'hub.db'}")
        store.add_person("p0", "Bench Person", ["04A1B2C3"])
        for pid, name, badge in PEOPLE:
            store.add_person(pid, name, [badge])
        store.set_loan_hours("camera", int(LOAN.total_seconds() // 3600))
        # Evaluated after every return; never due within a run, so every item stays available.
        store.set_service_rule("camera", every_days=365, every_checkouts=1_000_000)
        for i in range(assets):
            store.add_asset(f"A-{i:05d}", f"Asset {i}", "camera")
        keys = {k: store.add_kiosk(k, k, clock.now(), location=CAGE) for k in kiosks}
        hub = HubLink(
            HubBroker("127.0.0.1", broker.port, "hub", hub_password, tls_ca=str(broker.ca_file)),
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


def custody(i: int, codes: Sequence[str], now: datetime) -> dict[str, object]:
    """A kiosk's ``i``-th event: a checkout, then that asset's return, then the next asset's
    checkout..., by 20 people in turn, as a cage kiosk records them."""
    code = codes[(i // 2) % len(codes)]
    pid, _name, badge = PEOPLE[(i // 2) % len(PEOPLE)]
    base: dict[str, object] = {"session": f"s-{i // 2}", "badge": badge, "person": pid}
    if i % 2 == 0:
        return {**base, "type": EventType.CHECKOUT, "asset": code, "due": now + LOAN}
    return {**base, "type": EventType.RETURN, "asset": code, "condition": ReturnCondition.OK}


def denial(_i: int, _codes: Sequence[str], _now: datetime) -> dict[str, object]:
    """An unknown badge refused: no asset, so the hub's projection does no work for it."""
    return {"type": EventType.DENIED, "reason": DenialReason.UNKNOWN_BADGE, "badge": "DEADBEEF"}


def throughput(kiosks: int, events: int, traffic: Traffic = "custody") -> float:
    """Committed-and-acknowledged events per second from ``kiosks`` kiosks' full outboxes.

    ``custody``: each kiosk lends and takes back its own registered assets, checkouts and
    returns taking turns, so every event moves a holding, an asset's status, its service count,
    bookings and location. ``denied``: refusals of an unknown badge, which only reach the ledger.
    """
    ids = [f"bench-{i}" for i in range(kiosks)]
    loans = (events + 1) // 2  # checkouts per kiosk
    make = custody if traffic == "custody" else denial
    clock = SystemClock()
    with rig(ids, assets=kiosks * loans if traffic == "custody" else 0) as r:
        links = []
        for k, kiosk_id in enumerate(ids):
            codes = [f"A-{n:05d}" for n in range(k * loans, (k + 1) * loans)]
            box = Outbox(r.folder / kiosk_id / "outbox.db", kiosk_id, r.keys[kiosk_id])
            for i in range(events):
                now = clock.now()
                box.append(make(i, codes, now), now)
            link = KioskLink(
                BrokerSettings(
                    "127.0.0.1",
                    r.broker.port,
                    kiosk_id,
                    r.passwords[kiosk_id],
                    tls_ca=str(r.broker.ca_file),
                ),
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
        if traffic == "custody":
            _check_custody(r.store, kiosks * loans, kiosks * (events % 2))
        return kiosks * events / elapsed


def _check_custody(store: Store, checkouts: int, still_out: int) -> None:
    """The hub did the work a checkout and a return cause, not just append them."""
    out = len(store.items_out())
    if out != still_out:
        raise RuntimeError(f"{out} items out after the run, expected {still_out}")
    attention = store.attention()
    if attention.anomalies or attention.quarantined:
        raise RuntimeError(f"custody conflicts or quarantined events: {attention}")
    with store.engine.connect() as conn:
        counted = conn.scalar(select(func.sum(assets_table.c.checkouts_since_service)))
        placed = conn.scalar(
            select(func.count()).where(
                assets_table.c.location == CAGE, assets_table.c.status == "available"
            )
        )
    if counted != checkouts:
        raise RuntimeError(f"service counts add up to {counted}, expected {checkouts}")
    if placed != checkouts - still_out:
        raise RuntimeError(f"{placed} assets back in {CAGE}, expected {checkouts - still_out}")


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
                    "127.0.0.1",
                    r.broker.port,
                    "bench-kiosk",
                    r.passwords["bench-kiosk"],
                    tls_ca=str(r.broker.ca_file),
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
