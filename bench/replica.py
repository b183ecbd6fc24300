"""What publishing the kiosks' replica costs the hub while events flow.

On a hub database of the spec's size (100,000 assets, 5,000 people, 8,000 items out, built as
``bench.synthetic`` builds it), a writer process commits kiosk checkouts and returns through
``Store.commit_events`` at a steady rate (500 events/s), and this process runs a replica
publisher the way the hub's replica thread does (a round, then a second's pause) for a while,
timing the CPU the publisher's thread uses. Before: the whole replica rebuilt each round
(``Store.replica_rows``, ``build_snapshot``, a digest and ``diff``, as the hub did). After:
``hub.replica_feed.ReplicaFeed``, kept from the change log. Both run in the same session,
taking turns, with a whole retained snapshot due every 30 s. Messages go to a publish callable
that only counts them (no broker: paho's share of the work is the same for both).

Also times the ingest commit with and without the change-log triggers (small stores, the same
events), since the triggers sit on ingest's path.

Run: ``python -m bench.replica`` (``--repeat N``, ``--seconds S``, ``--rate N``, ``--quick``).
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, text

from bench.synthetic import Sizes, build
from hub.replica import build_snapshot
from hub.replica_feed import ReplicaFeed
from hub.store import Store
from hub.store.schema import assets, people, replica_changes
from wire import CustodyEvent, EventType, ReplicaPolicy, ReplicaSnapshot, Topics
from wire.ids import uuid7
from wire.replica_delta import diff

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TOPICS = Topics("cagekeeper")
SNAPSHOT_EVERY = 30.0
PAUSE = 1.0  # between rounds, as the hub's replica_interval
BATCH = 50  # events per commit, as the ingest thread takes what has arrived


@dataclass
class Sent:
    """Counts what a publisher sent."""

    deltas: int = 0
    wholes: int = 0
    bytes: int = 0

    def __call__(self, topic: str, payload: str, retain: bool) -> bool:
        if retain:
            self.wholes += 1
        else:
            self.deltas += 1
        self.bytes += len(payload)
        return True

    def reset(self) -> None:
        self.deltas = self.wholes = self.bytes = 0


class WholeRebuild:
    """The publisher before the change log: everything read and built every round."""

    def __init__(self, store: Store, send: Sent, rules: ReplicaPolicy) -> None:
        self.store, self.send, self.rules = store, send, rules
        self.digest = ""
        self.last: ReplicaSnapshot | None = None
        self.version = 0
        self.last_whole = 0.0

    def step(self, now: datetime) -> None:
        draft = build_snapshot(self.store.replica_rows(now), 0, now, self.rules)
        source = draft.model_dump_json(exclude={"at", "version"})
        digest = hashlib.sha256(source.encode()).hexdigest()
        if digest == self.digest:
            return
        self.version = max(self.version + 1, int(now.timestamp() * 1000))
        snap = draft.model_copy(update={"version": self.version})
        delta = diff(self.last, snap).model_dump_json() if self.last is not None else None
        due = time.monotonic() - self.last_whole >= SNAPSHOT_EVERY
        if delta is None or due or len(delta) * 2 > len(source):
            self.send(TOPICS.replica_snapshot(), snap.model_dump_json(), True)
            self.last_whole = time.monotonic()
        else:
            self.send(TOPICS.replica_delta(), delta, False)
        self.digest, self.last = digest, snap


@dataclass
class Run:
    cpu_per_second: float  # publisher CPU seconds per wall second
    round_ms: float  # median CPU per round
    rounds: int
    events_per_second: float  # what the writer achieved meanwhile
    sent: Sent = field(default_factory=Sent)


# the writer -----------------------------------------------------------------------------------


def _writer(url: str, rate: float, ready: Any, stop: Any, done: Any) -> None:
    """Commits checkouts and returns at ``rate`` events/s until ``stop`` is set; ``ready``
    once the first batch is in."""
    store = Store.open(url, upgrade=False)
    rng = random.Random(7)
    with store.engine.connect() as conn:
        free = list(conn.scalars(select(assets.c.code).where(assets.c.status == "available")))
        persons = list(conn.scalars(select(people.c.id)))
    rng.shuffle(free)
    lent: list[tuple[str, str]] = []
    seq = 0
    began = time.monotonic()
    sent = 0
    while not stop.is_set():
        batch: list[CustodyEvent] = []
        for _ in range(BATCH):
            seq += 1
            at = NOW + timedelta(milliseconds=seq)
            base: dict[str, Any] = {
                "id": uuid7(int(at.timestamp() * 1000)),
                "kiosk": "bench-w",
                "seq": seq,
            }
            fields: dict[str, Any]
            if lent and (len(lent) > 2000 or rng.random() < 0.5):
                code, person = lent.pop(0)
                fields = {"type": EventType.RETURN, "asset": code, "person": person}
                free.append(code)
            else:
                code, person = free.pop(0), rng.choice(persons)
                lent.append((code, person))
                fields = {
                    "type": EventType.CHECKOUT,
                    "asset": code,
                    "person": person,
                    "due": at + timedelta(hours=48),
                }
            batch.append(CustodyEvent.model_validate({**base, "at": at, **fields}))
        store.commit_events([(e, e.model_dump_json()) for e in batch], NOW)
        sent += len(batch)
        ready.set()
        ahead = began + sent / rate - time.monotonic()
        if ahead > 0:
            stop.wait(ahead)
    done.value = sent / (time.monotonic() - began)
    store.close()


# one measurement ------------------------------------------------------------------------------


def measure(
    url: str, make: Callable[[Store, Sent], Any], seconds: float, rate: float, warm: int = 2
) -> Run:
    """Runs a publisher for ``seconds`` while the writer commits; the first ``warm`` rounds
    (the first reads everything) are not counted."""
    ctx = multiprocessing.get_context("spawn")
    ready, stop, done = ctx.Event(), ctx.Event(), ctx.Value("d", 0.0)
    writer = ctx.Process(target=_writer, args=(url, rate, ready, stop, done))
    writer.start()
    if not ready.wait(120):
        raise RuntimeError("the writer did not start")
    store = Store.open(url, upgrade=False)
    sent = Sent()
    publisher = make(store, sent)
    try:
        clock0, wall0 = NOW, time.monotonic()
        for _ in range(warm):
            publisher.step(clock0 + timedelta(seconds=time.monotonic() - wall0))
            time.sleep(PAUSE)
        sent.reset()
        cpu, rounds = [], 0
        began = time.monotonic()
        while time.monotonic() - began < seconds:
            t0 = time.thread_time()
            publisher.step(clock0 + timedelta(seconds=time.monotonic() - wall0))
            cpu.append(time.thread_time() - t0)
            rounds += 1
            time.sleep(PAUSE)
        wall = time.monotonic() - began
    finally:
        stop.set()
        writer.join(60)
        store.close()
    return Run(sum(cpu) / wall, statistics.median(cpu) * 1000, rounds, done.value, sent)


def prepare(folder: Path, sizes: Sizes) -> str:
    """The big database, its change log emptied (the bulk load filled it), and the writer's
    kiosk."""
    path = folder / "hub.db"
    store, _ = build(path, sizes)
    with store.engine.begin() as conn:
        conn.execute(delete(replica_changes))
    store.add_kiosk("bench-w", "bench writer", NOW - timedelta(days=400))
    store.close()
    return f"sqlite:///{path}"


def fresh(template: Path) -> str:
    """A copy of the prepared database, so each run starts from the same state."""
    target = template.with_name(f"run-{time.monotonic_ns()}.db")
    target.write_bytes(template.read_bytes())
    return f"sqlite:///{target}"


# the triggers on ingest's path ----------------------------------------------------------------


def ingest_ms(folder: Path, triggers: bool, batches: int = 40) -> float:
    """Median milliseconds to commit a 50-event batch of checkouts and returns."""
    url = f"sqlite:///{folder / f'ingest-{triggers}-{time.monotonic_ns()}.db'}"
    store = Store.open(url, now=NOW)
    for n in range(200):
        store.add_person(f"p{n}", f"Person {n}")
    for n in range(2000):
        store.add_asset(f"CAM-{n:05d}", f"Camera {n}", "camera")
    store.add_kiosk("bench-w", "bench writer", NOW - timedelta(days=1))
    if not triggers:
        with store.engine.begin() as conn:
            names = conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).scalars()
            for name in list(names):
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    times = []
    seq = 0
    for b in range(batches):
        batch = []
        for i in range(BATCH):
            seq += 1
            at = NOW + timedelta(seconds=seq)
            code = f"CAM-{(b // 2 * BATCH + i) % 2000:05d}"
            fields: dict[str, Any] = (
                {"type": EventType.CHECKOUT, "due": at + timedelta(hours=48)}
                if b % 2 == 0
                else {"type": EventType.RETURN}
            )
            batch.append(
                CustodyEvent.model_validate(
                    {
                        "id": uuid7(int(at.timestamp() * 1000)),
                        "kiosk": "bench-w",
                        "seq": seq,
                        "at": at,
                        "asset": code,
                        "person": f"p{i % 200}",
                        **fields,
                    }
                )
            )
        t0 = time.perf_counter()
        store.commit_events([(e, e.model_dump_json()) for e in batch], NOW)
        times.append((time.perf_counter() - t0) * 1000)
    store.close()
    return statistics.median(times)


# the table ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each publisher")
    parser.add_argument("--seconds", type=float, default=60.0, help="timed per run")
    parser.add_argument("--rate", type=float, default=500.0, help="events/s the writer commits")
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=200_000, help="ledger rows built")
    parser.add_argument("--quick", action="store_true", help="10x smaller, short runs")
    args = parser.parse_args()
    sizes = Sizes(assets=args.assets, events=args.events)
    if args.quick:
        sizes, args.seconds, args.repeat = sizes.smaller(10), 10.0, 1
    rules = ReplicaPolicy()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="cagekeeper-bench-") as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        template = Path(prepare(folder, sizes).removeprefix("sqlite:///"))
        print(
            f"built {sizes.assets:,} assets, {sizes.people:,} people, {sizes.out:,} out, "
            f"{sizes.events:,} ledger rows in {time.perf_counter() - began:.0f} s"
        )
        before: list[Run] = []
        after: list[Run] = []
        for n in range(args.repeat):
            for label, runs, make in (
                ("before", before, lambda s, out: WholeRebuild(s, out, rules)),
                (
                    "after",
                    after,
                    lambda s, out: ReplicaFeed(s, out, TOPICS, rules, SNAPSHOT_EVERY),
                ),
            ):
                url = fresh(template)
                run = measure(url, make, args.seconds, args.rate)
                runs.append(run)
                print(
                    f"  run {n + 1} {label:6}: {run.cpu_per_second * 100:6.1f} % of a core, "
                    f"{run.round_ms:8.1f} ms a round, {run.rounds} rounds, "
                    f"writer {run.events_per_second:.0f} events/s, "
                    f"{run.sent.deltas} deltas + {run.sent.wholes} whole, "
                    f"{run.sent.bytes / 1e6:.1f} MB"
                )
                Path(url.removeprefix("sqlite:///")).unlink()
        with_triggers, without = [], []
        for _ in range(args.repeat):
            with_triggers.append(ingest_ms(folder, True))
            without.append(ingest_ms(folder, False))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print(
        f"| replica publisher, {sizes.assets:,} assets, writer at {args.rate:.0f} events/s"
        " | CPU (share of a core) | CPU a round | writer achieved |"
    )
    print("| --- | --- | --- | --- |")
    for label, runs in (
        ("before: rebuilt whole each round", before),
        ("after: from the change log", after),
    ):
        print(
            f"| {label} | {_median(r.cpu_per_second * 100 for r in runs):.1f} % "
            f"({_span(r.cpu_per_second * 100 for r in runs)}) "
            f"| {_median(r.round_ms for r in runs):.1f} ms "
            f"| {_median(r.events_per_second for r in runs):.0f} events/s |"
        )
    print()
    print("| ingest commit, 50 events (2,000 assets) | median of medians |")
    print("| --- | --- |")
    print(f"| change-log triggers on | {statistics.median(with_triggers):.1f} ms |")
    print(f"| triggers dropped | {statistics.median(without):.1f} ms |")


def _median(values: Any) -> float:
    return float(statistics.median(list(values)))


def _span(values: Any) -> str:
    v = list(values)
    return f"{min(v):.1f} to {max(v):.1f}"


if __name__ == "__main__":
    main()
