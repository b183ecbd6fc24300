"""The broker's ceiling and the hub against it, measured in one run, taking turns.

Ceiling: K kiosks (paho QoS 1 publishers, each logged in with its own credentials) publish
real signed events through Mosquitto run with deploy/mosquitto's configuration to one consumer
in the hubs' shared subscription ($share/hub/...), which only PUBACKs: the most any hub behind
this broker on this machine could take. Hub: the same kiosks send the same kind of events to a
real hub process (``HubService``, SQLite with a sync per commit), each counted when its signed
ack arrives. Each round does both on a fresh deployment; the figures are medians of rounds.
Meanwhile the hub's CPU is read per thread from /proc, for the share of its MQTT network thread.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass

from bench.deployment import Deployment, deployment
from bench.hubproc import PAHO, CpuShare, thread_cpu
from bench.mqttload import Fleet, Tally, Traffic
from bench.report import load, machine, table


@dataclass(frozen=True)
class Phase:
    """One side of a round: events through and what each process spent meanwhile."""

    sent: int
    through: int  # received by the consumer, or acked committed by the hub
    distinct: int  # different events among them
    rate: float
    seconds: float
    broker_cpu: float
    kiosks_cpu: float
    hub: CpuShare | None = None  # per thread: the consumer's or the hub's

    @property
    def lost(self) -> int:
        return self.sent - self.distinct

    @property
    def duplicated(self) -> int:
        return self.through - self.distinct


@dataclass(frozen=True)
class Round:
    ceiling: Phase
    hub: Phase
    load_before: str
    load_after: str

    @property
    def ratio(self) -> float:
        return self.hub.rate / self.ceiling.rate


async def raw_phase(dep: Deployment, events: int, traffic: Traffic) -> Phase:
    """The ceiling: kiosks to one shared-subscription consumer that only PUBACKs."""
    total = len(dep.kiosks) * events
    consumer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.consumer",
        str(dep.broker.port),
        str(total),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "BENCH_HUB_PASSWORD": dep.hub_password,
            "BENCH_BROKER_CA": str(dep.broker.ca_file),
        },
    )
    assert consumer.stdout is not None and consumer.stdin is not None
    try:
        line = await asyncio.wait_for(consumer.stdout.readline(), 30)
        if line.strip() != b"ready":
            raise RuntimeError(f"the consumer did not subscribe: {line!r}")
        async with Fleet(dep.kiosks, dep.broker.port) as fleet:
            broker_before, ours_before = dep.broker_cpu(), time.process_time()
            tally = fleet.flood(events, traffic)
            try:
                line = await asyncio.wait_for(consumer.stdout.readline(), 30 + total / 200)
            except TimeoutError:
                consumer.stdin.close()  # some never came: the consumer says how many did
                line = await asyncio.wait_for(consumer.stdout.readline(), 10)
            broker_cpu, ours = dep.broker_cpu() - broker_before, time.process_time() - ours_before
    finally:
        if consumer.returncode is None:
            consumer.stdin.close()
            await asyncio.wait_for(consumer.wait(), 10)
        await _gone_from_broker(dep, f"bench-consumer-{consumer.pid}")
    got = json.loads(line)
    seconds = got["last"] - tally.started
    return Phase(
        sent=total,
        through=got["count"],
        distinct=got["distinct"],
        rate=got["count"] / seconds,
        seconds=seconds,
        broker_cpu=broker_cpu,
        kiosks_cpu=ours,
        hub=CpuShare({PAHO: got["cpu"] - got["cpu_first"]}, seconds),
    )


async def _gone_from_broker(dep: Deployment, client_id: str, timeout: float = 15.0) -> None:
    """Wait until the broker has dropped the consumer. Until it has, the consumer is still a
    member of the hubs' shared subscription, and the broker would hand it (a dead socket) a
    share of the hub's events, which the hub then never gets."""
    log = dep.broker.folder / "mosquitto.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if f"Client {client_id} disconnected" in text:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"the broker still counts {client_id} as connected after {timeout} s")


async def hub_phase(dep: Deployment, events: int, traffic: Traffic, timeout: float) -> Phase:
    """The hub: kiosks to the running hub processes; an event counts at its ack's arrival."""
    async with Fleet(dep.kiosks, dep.broker.port) as fleet:
        pids = [h.pid for h in dep.hubs]
        before = [thread_cpu(p) for p in pids]
        broker_before, ours_before = dep.broker_cpu(), time.process_time()
        try:
            tally = await asyncio.wait_for(fleet.burst(events, traffic), timeout)
        except TimeoutError:
            acked = len(fleet.tally.acked)
            raise RuntimeError(
                f"{acked} of {len(dep.kiosks) * events} events acknowledged in {timeout} s; "
                f"{dep.hub_problem() or 'hubs still running'}"
            ) from None
        wall = tally.finished - tally.started
        cpu = [CpuShare.between(b, thread_cpu(p), wall) for b, p in zip(before, pids, strict=True)]
        broker_cpu, ours = dep.broker_cpu() - broker_before, time.process_time() - ours_before
    check_ledger(dep, tally)
    merged = cpu[0]
    for share in cpu[1:]:
        merged = merged.merged(share)
    return Phase(
        sent=len(tally.published),
        through=len(tally.acked),
        distinct=len(set(dep.ledger_ids()) & set(tally.published)),
        rate=tally.rate,
        seconds=wall,
        broker_cpu=broker_cpu,
        kiosks_cpu=ours,
        hub=merged,
    )


def check_ledger(dep: Deployment, tally: Tally) -> None:
    """Every event the kiosks sent is in the ledger exactly once, and nothing else is; every
    ack said committed (a duplicate ack would mean the hub saw an event twice)."""
    ids = dep.ledger_ids()
    sent = set(tally.published)
    problems = []
    if len(ids) != len(set(ids)):
        problems.append(f"{len(ids) - len(set(ids))} ledger rows repeat an id")
    if missing := sent - set(ids):
        problems.append(f"{len(missing)} events sent are not in the ledger")
    if extra := set(ids) - sent:
        problems.append(f"{len(extra)} ledger rows were never sent")
    if tally.errors:
        problems.append("; ".join(tally.errors[:3]))
    if tally.repeated_acks or tally.results.get("duplicate"):
        problems.append(
            f"{tally.repeated_acks} repeated acks, {tally.results.get('duplicate', 0)} duplicates"
        )
    if problems:
        raise RuntimeError("ledger check failed: " + "; ".join(problems))


def one_round(kiosks: int, raw_events: int, hub_events: int, traffic: Traffic) -> Round:
    before = load()
    with deployment(kiosks) as dep:
        ceiling = asyncio.run(raw_phase(dep, raw_events, traffic))
        dep.start_hubs(1)
        timeout = 60 + kiosks * hub_events / 20
        hub = asyncio.run(hub_phase(dep, hub_events, traffic, timeout))
    return Round(ceiling, hub, before, load())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kiosks", type=int, default=50)
    parser.add_argument("--events", type=int, default=100, help="events per kiosk, hub run")
    parser.add_argument("--raw-events", type=int, default=400, help="events per kiosk, ceiling")
    parser.add_argument("--traffic", choices=["custody", "denied"], default="custody")
    args = parser.parse_args()

    rounds = []
    for n in range(args.repeat):
        r = one_round(args.kiosks, args.raw_events, args.events, args.traffic)
        rounds.append(r)
        print(
            f"round {n + 1}: ceiling {r.ceiling.rate:,.0f} msg/s, hub {r.hub.rate:,.0f} events/s "
            f"(load {r.load_before} -> {r.load_after})",
            flush=True,
        )
    print(machine())
    print(f"medians of {args.repeat} rounds, each on a fresh deployment, ceiling then hub")
    k = args.kiosks
    rows = [
        (
            f"ceiling: {k} kiosks x {args.raw_events} -> Mosquitto -> 1 consumer (PUBACK only)",
            [r.ceiling.rate for r in rounds],
            "msg/s",
        ),
        (
            f"hub: {k} kiosks x {args.events} {args.traffic} events committed and acked",
            [r.hub.rate for r in rounds],
            "events/s",
        ),
        ("hub / ceiling", [100 * r.ratio for r in rounds], "%"),
        ("hub process CPU while ingesting", [_cores(r.hub) for r in rounds], "cores"),
        (
            "  of which paho's network thread",
            [100 * r.hub.hub.share(PAHO) for r in rounds if r.hub.hub],
            "%",
        ),
        (
            "  of which the ingest thread",
            [100 * r.hub.hub.share("ingest") for r in rounds if r.hub.hub],
            "%",
        ),
        ("broker CPU per 1,000 msgs, ceiling", [_per_k(r.ceiling) for r in rounds], "ms"),
        ("broker CPU per 1,000 events, hub", [_per_k(r.hub) for r in rounds], "ms"),
        ("consumer CPU per 1,000 msgs, ceiling", [_hub_per_k(r.ceiling) for r in rounds], "ms"),
        ("hub CPU per 1,000 events", [_hub_per_k(r.hub) for r in rounds], "ms"),
        ("kiosks' (load generator) CPU, ceiling", [_gen(r.ceiling) for r in rounds], "cores"),
    ]
    print("\n".join(table(rows)))
    lost = sum(r.ceiling.lost + r.hub.lost for r in rounds)
    dup = sum(r.ceiling.duplicated + r.hub.duplicated for r in rounds)
    print(f"lost {lost}, duplicated {dup} (every event id checked in the hub's ledger)")
    print(f"load average (1/5/15 min) before the first round and after the last: "
          f"{rounds[0].load_before} / {rounds[-1].load_after}")  # fmt: skip
    threads = statistics.median(len(r.hub.hub.threads) for r in rounds if r.hub.hub)
    print(f"hub threads seen: {threads:.0f}; CPU by thread, last round: {_by_thread(rounds[-1])}")


def _cores(phase: Phase) -> float:
    return phase.hub.total / phase.seconds if phase.hub else 0.0


def _gen(phase: Phase) -> float:
    return phase.kiosks_cpu / phase.seconds


def _per_k(phase: Phase) -> float:
    return 1e6 * phase.broker_cpu / max(1, phase.through)


def _hub_per_k(phase: Phase) -> float:
    return 1e6 * phase.hub.total / max(1, phase.through) if phase.hub else 0.0


def _by_thread(r: Round) -> str:
    assert r.hub.hub is not None
    used = sorted(r.hub.hub.threads.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{name} {secs:.2f} s" for name, secs in used if secs >= 0.01)


if __name__ == "__main__":
    main()
