"""Scale-out: 1, 2 and 4 hub processes on one PostgreSQL, splitting the kiosks' events through
the broker's shared subscription ($share/hub/...).

Each round starts every configuration on a fresh database of one real PostgreSQL cluster
(initdb in a temporary folder, fsync on unless told otherwise), the configurations taking turns
in alternating order; the same kiosks (each with its own broker login) send the same burst of
signed custody events, counted when the hub's signed ack arrives. Printed: events/s and the
ratio to one hub measured in the same round, medians of rounds; and that every event id is in
the ledger exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench.ceiling import Phase, hub_phase
from bench.deployment import deployment, postgres_cluster
from bench.hubproc import PAHO
from bench.mqttload import Traffic
from bench.report import load, machine, table

_TICKS = 100.0


@dataclass(frozen=True)
class Run:
    hubs: int
    phase: Phase
    database_cpu: float  # PostgreSQL's CPU seconds meanwhile
    per_hub: list[int]  # events each hub committed
    waits: dict[str, float]  # what the hubs' busy database connections were doing


def postgres_cpu(port: int) -> dict[int, float]:
    """CPU seconds so far of each process of the PostgreSQL server listening on ``port``: the
    postmaster and its children (backends, writers), by pid. Differences between two readings
    (``cpu_between``) give what the server spent meanwhile; a backend that exits in between is
    missed, but the hubs' pooled connections live through a run."""
    master = None
    procs: list[tuple[int, int, float]] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / _TICKS
        procs.append((int(entry.name), int(fields[1]), cpu))
        if b"-p" in cmdline and str(port).encode() in cmdline and b"-D" in cmdline:
            master = int(entry.name)
    return {pid: cpu for pid, ppid, cpu in procs if master is not None and master in (pid, ppid)}


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


class WaitSampler:
    """What the hubs' database connections are doing, sampled from pg_stat_activity every
    50 ms while the events flow: running (on CPU), waiting for a lock held by another
    transaction, for I/O (the WAL flush of a commit), or idle waiting for the hub (Client).
    Counts only connections inside a transaction or a statement, i.e. busy on the hub's
    behalf."""

    QUERY = text(
        "SELECT coalesce(wait_event_type || ' ' || wait_event, 'running') FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend' AND state <> 'idle'"
    )

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, poolclass=NullPool)
        self.counts: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-waits", daemon=True)

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.engine.dispose()

    def _run(self) -> None:
        with self.engine.connect() as conn:
            while not self._stop.wait(0.05):
                self.counts.update(conn.scalars(self.QUERY))
                conn.rollback()

    def shares(self) -> dict[str, float]:
        total = sum(self.counts.values())
        return {k: v / total for k, v in self.counts.most_common()} if total else {}


def one_run(
    hubs: int, postgres: tuple[str, int], kiosks: int, events: int, traffic: Traffic, pool: int
) -> Run:
    with deployment(kiosks, pool=pool, postgres=postgres) as dep:
        dep.start_hubs(hubs)
        pg_before = postgres_cpu(postgres[1])
        timeout = 60 + kiosks * events / 20
        with WaitSampler(dep.database) as waits:
            phase = asyncio.run(hub_phase(dep, events, traffic, timeout))
        pg = cpu_between(pg_before, postgres_cpu(postgres[1]))
        per_hub = dep.ledger_by_hub()
    return Run(hubs, phase, pg, per_hub, waits.shares())


def scale_out(
    postgres: tuple[str, int],
    counts: list[int],
    rounds: int,
    kiosks: int,
    events: int,
    traffic: Traffic = "custody",
    progress: bool = False,
    pool: int = 10,
) -> list[dict[int, Run]]:
    """``rounds`` rounds of every hub count in ``counts``, the order reversed every other
    round so that neither end always runs on a warmer (or busier) machine. ``pool``: assets
    (and people) per kiosk, lent in turn, so that one asset's events are ``2 * pool`` apart in
    a kiosk's burst, as in an outbox draining after an outage."""
    results = []
    for n in range(rounds):
        order = counts if n % 2 == 0 else list(reversed(counts))
        this: dict[int, Run] = {}
        for hubs in order:
            this[hubs] = one_run(hubs, postgres, kiosks, events, traffic, pool)
            if progress:
                r = this[hubs]
                print(
                    f"round {n + 1}, {hubs} hub(s): {r.phase.rate:,.0f} events/s "
                    f"(per hub {r.per_hub}, load {load()})",
                    flush=True,
                )
        results.append(this)
    return results


def _waits(rounds: list[dict[int, Run]], hubs: int) -> str:
    """Median share of samples per state across rounds, largest first."""
    states = {k for rnd in rounds for k in rnd[hubs].waits}
    med = {k: statistics.median(rnd[hubs].waits.get(k, 0.0) for rnd in rounds) for k in states}
    return ", ".join(f"{k} {100 * v:.0f} %" for k, v in sorted(med.items(), key=lambda kv: -kv[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hubs", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--kiosks", type=int, default=50)
    parser.add_argument("--events", type=int, default=200, help="events per kiosk")
    parser.add_argument("--traffic", choices=["custody", "denied"], default="custody")
    parser.add_argument("--pool", type=int, default=10, help="assets (and people) per kiosk")
    parser.add_argument("--no-fsync", action="store_true", help="PostgreSQL without fsync")
    args = parser.parse_args()
    before = load()
    with ExitStack() as stack:
        pg = stack.enter_context(postgres_cluster(fsync=not args.no_fsync))
        rounds = scale_out(
            pg,
            args.hubs,
            args.repeat,
            args.kiosks,
            args.events,
            args.traffic,
            progress=True,
            pool=args.pool,
        )
    after = load()
    print(machine())
    sync = "fsync off" if args.no_fsync else "fsync on"
    print(
        f"medians of {args.repeat} rounds; {args.kiosks} kiosks x {args.events} {args.traffic} "
        f"events ({args.pool} assets per kiosk, lent in turn), committed and acked; "
        f"one PostgreSQL ({sync})"
    )
    rows = []
    for hubs in args.hubs:
        runs = [r[hubs] for r in rounds]
        rows.append((f"{hubs} hub(s): events/s", [x.phase.rate for x in runs], "events/s"))
        if hubs != args.hubs[0]:
            ratio = [r[hubs].phase.rate / r[args.hubs[0]].phase.rate for r in rounds]
            rows.append((f"{hubs} hub(s): ratio to {args.hubs[0]}", ratio, "x"))
        rows.append(
            (
                f"{hubs} hub(s): hub CPU, all processes",
                [x.phase.hub.total / x.phase.seconds for x in runs if x.phase.hub],
                "cores",
            )
        )
        rows.append(
            (
                f"{hubs} hub(s): PostgreSQL CPU",
                [x.database_cpu / x.phase.seconds for x in runs],
                "cores",
            )
        )
        rows.append(
            (
                f"{hubs} hub(s): paho network threads' share",
                [100 * x.phase.hub.share(PAHO) for x in runs if x.phase.hub],
                "%",
            )
        )
    print("\n".join(table(rows, digits=2)))
    lost = sum(r.phase.lost for rnd in rounds for r in rnd.values())
    dup = sum(r.phase.duplicated for rnd in rounds for r in rnd.values())
    print(f"lost {lost}, duplicated {dup} (every event id checked in the ledger)")
    spread = [rnd[h].per_hub for rnd in rounds for h in args.hubs if h > 1]
    print(f"events per hub process (shared subscription's split): {spread}")
    for hubs in args.hubs:
        print(f"{hubs} hub(s), busy database connections were: {_waits(rounds, hubs)}")
    print(f"load average (1/5/15 min) before / after: {before} / {after}")
    seconds = statistics.median(r.phase.seconds for rnd in rounds for r in rnd.values())
    print(f"median measured run {seconds:.1f} s")


if __name__ == "__main__":
    main()
