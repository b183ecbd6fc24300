"""The hub's commit path alone: events per second and SQL statements per event.

No broker, no signatures: batches of already-decoded events go straight to
``Store.commit_events`` on a real SQLite file, as the ingest thread hands them over, so the
figure is what the store can take and nothing else. Run ``python -m bench.commit``.

Traffic as a busy cage makes it: kiosks lending and taking back their own items, a tenth of
the returns late (strikes), one in fifty damaged (tickets), a booking picked up now and then,
and staff counting the shelf.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from hub.store import Store
from wire import CustodyEvent, EventType, ReturnCondition
from wire.ids import uuid7

START = datetime(2026, 9, 1, 8, tzinfo=UTC)
LOAN = timedelta(hours=48)
PEOPLE = 200


@dataclass(frozen=True)
class Run:
    events: int
    seconds: float
    cpu: float
    statements: int

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def per_event(self) -> float:
        return self.statements / self.events


def traffic(kiosks: int, events: int) -> list[CustodyEvent]:
    """Each kiosk's events numbered in the order it records them; all kiosks' in time order,
    as they arrive from kiosks online. An item lent at a minute comes back hours later."""
    out: list[CustodyEvent] = []
    for k in range(kiosks):
        kiosk = f"bench-{k}"
        mine: list[tuple[datetime, dict[str, Any]]] = []
        for i in range(events // 2):
            asset = f"A-{k:03d}-{i:05d}"
            person = f"p{(k * 7 + i) % PEOPLE}"
            lent = START + timedelta(minutes=i, seconds=k)
            late = i % 10 == 3
            back = lent + (LOAN + timedelta(hours=5) if late else timedelta(hours=2))
            condition = ReturnCondition.DAMAGED if i % 50 == 7 else ReturnCondition.OK
            common = {"person": person, "asset": asset, "session": f"{kiosk}-{i}"}
            mine.append((lent, {**common, "type": EventType.CHECKOUT, "due": lent + LOAN}))
            mine.append((back, {**common, "type": EventType.RETURN, "condition": condition}))
        mine.sort(key=lambda pair: pair[0])
        for seq, (at, fields) in enumerate(mine, start=1):
            out.append(
                CustodyEvent.model_validate(
                    {
                        "id": uuid7(int(at.timestamp() * 1000)),
                        "kiosk": kiosk,
                        "seq": seq,
                        "at": at,
                        **fields,
                    }
                )
            )
    return sorted(out, key=lambda e: (e.at, e.kiosk))


def registry(store: Store, kiosks: int, events: int) -> None:
    for p in range(PEOPLE):
        store.add_person(f"p{p}", f"Person {p}", [f"{0x04A00000 + p:08X}"])
    store.set_loan_hours("camera", 48)
    store.set_service_rule("camera", every_days=365, every_checkouts=1_000_000)
    rows = [
        {"code": f"A-{k:03d}-{i:05d}", "name": f"Camera {k}-{i}", "category": "camera"}
        for k in range(kiosks)
        for i in range(events // 2)
    ]
    store.import_assets(rows, START, "bench")
    for k in range(kiosks):
        store.add_kiosk(f"bench-{k}", f"bench-{k}", START - timedelta(days=1), location="Cage")
    for k in range(kiosks):  # a few bookings to pick up
        for i in range(0, events // 2, 25):
            lent = START + timedelta(minutes=i, seconds=k)
            store.add_booking(
                f"A-{k:03d}-{i:05d}",
                f"p{(k * 7 + i) % PEOPLE}",
                lent - timedelta(minutes=5),
                lent + timedelta(hours=2),
                START - timedelta(days=1),
            )


@contextmanager
def counted(store: Store) -> Iterator[list[int]]:
    seen = [0]

    def count(*_a: Any) -> None:
        seen[0] += 1

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


def one_run(kiosks: int, events: int, batch: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="cagekeeper-commit-") as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'hub.db'}")
        try:
            registry(store, kiosks, events)
            evs = traffic(kiosks, events)
            now = START + timedelta(days=30)
            with counted(store) as statements:
                cpu0 = time.process_time()
                t0 = time.perf_counter()
                for i in range(0, len(evs), batch):
                    part = evs[i : i + batch]
                    store.commit_events([(e, "{}") for e in part], now)
                seconds = time.perf_counter() - t0
                cpu = time.process_time() - cpu0
            return Run(len(evs), seconds, cpu, statements[0])
        finally:
            store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=50)
    parser.add_argument("--events", type=int, default=200, help="events per kiosk")
    parser.add_argument("--batch", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = [one_run(args.kiosks, args.events, args.batch) for _ in range(args.repeat)]
    load = os.getloadavg()[0]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.kiosks} kiosks x {args.events} events, batches of {args.batch}; "
        f"medians of {args.repeat}; load {load:.2f} on {os.cpu_count()} CPUs; peak RSS {rss:.0f} MB"
    )
    print(f"{'figure':<32} {'median':>10}  range")
    for name, values in (
        ("committed events/s", [r.rate for r in runs]),
        ("CPU ms per event", [1000 * r.cpu / r.events for r in runs]),
        ("SQL statements per event", [r.per_event for r in runs]),
    ):
        print(
            f"{name:<32} {statistics.median(values):>10.2f}  ({min(values):.2f}-{max(values):.2f})"
        )


if __name__ == "__main__":
    main()
