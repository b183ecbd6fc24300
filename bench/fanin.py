"""Fan-in, the shape of EMQX's public MQTT benchmarks at this machine's size: many kiosks, each
connected with its own broker login, each publishing one signed event per second at QoS 1, all
into the hub through its shared subscription, for a few minutes.

The load is open loop (each kiosk keeps its schedule whatever the hub answers), so a hub that
cannot keep up shows as growing latency. Reported: events sent, lost and duplicated (every event
id looked up in the hub's ledger), and commit latency: publish to the kiosk holding the hub's
signed ack (the hub acks after its commit), and publish to the hub taking the event into a
batch (the ledger's ``received_at`` against the event's own time).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import math
import resource
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.deployment import Deployment, deployment, postgres_cluster
from bench.hubproc import PAHO, CpuShare, thread_cpu
from bench.mqttload import Fleet, Tally, Traffic, percentile
from bench.report import load, machine

TARGET_P99 = 1.0  # seconds


@dataclass(frozen=True)
class FanIn:
    kiosks: int
    seconds: float
    sent: int
    committed: int  # distinct kiosk events in the ledger at the end
    committed_in_time: int  # of them, received by the hub while the kiosks were sending
    lost: int  # sent, not in the ledger at the end
    duplicated: int  # ledger rows beyond one per event, acks beyond one per event
    acked: int
    ack_latency: list[float]  # publish to ack, seconds, of the acked events
    # (seconds into the run when it was published, publish to ack or inf), of every event sent
    timeline: list[tuple[float, float]]
    receipt_latency: list[float]  # event time to the hub's receipt, seconds
    broker_drops: int  # "Outgoing messages are being dropped" notices in the broker's log
    replica: tuple[int, int]  # replica messages and bytes all kiosks received (with --replica)
    hub: CpuShare
    broker_cpu: float
    kiosks_cpu: float  # the load generator's
    connect_seconds: float
    load_before: str
    load_after: str
    errors: list[str]

    def latency(self, q: float) -> float:
        """Publish-to-ack quantile over every event sent, an event never acked counting as
        slower than any (inf): an overloaded hub does not look fast by dropping the slow."""
        ordered = sorted(self.ack_latency) + [math.inf] * (self.sent - len(self.ack_latency))
        return percentile(ordered, q)


async def _drive(
    dep: Deployment,
    seconds: float,
    interval: float,
    traffic: Traffic,
    drain: float,
    replica: bool,
) -> tuple[Tally, CpuShare, tuple[float, float], float]:
    connecting = time.monotonic()
    async with Fleet(dep.kiosks, dep.broker.port, replica=replica) as fleet:
        connected = time.monotonic() - connecting
        pids = [h.pid for h in dep.hubs]
        before = [thread_cpu(p) for p in pids]
        broker_before, ours_before = dep.broker_cpu(), time.process_time()
        tally = await fleet.paced(seconds, interval, traffic, drain)
        wall = time.monotonic() - tally.started
        after = [thread_cpu(p) for p in pids]
        shares = [CpuShare.between(b, a, wall) for b, a in zip(before, after, strict=True)]
        broker_cpu = dep.broker_cpu() - broker_before
        ours = time.process_time() - ours_before
    merged = shares[0]
    for share in shares[1:]:
        merged = merged.merged(share)
    return tally, merged, (broker_cpu, ours), connected


def fan_in(
    kiosks: int,
    seconds: float,
    interval: float = 1.0,
    traffic: Traffic = "custody",
    hubs: int = 1,
    postgres: tuple[str, int] | None = None,
    drain: float = 30.0,
    replica: bool = False,
) -> FanIn:
    """Register ``kiosks`` kiosks, start ``hubs`` hub processes (SQLite, or a fresh database
    on ``postgres``), run the paced load, wait for the acks (until ``drain`` s pass without
    one) and check the ledger."""
    _enough_files(kiosks)
    before = load()
    with deployment(kiosks, pool=2, postgres=postgres) as dep:
        dep.start_hubs(hubs)
        tally, hub_cpu, (broker_cpu, kiosks_cpu), connected = asyncio.run(
            _drive(dep, seconds, interval, traffic, drain, replica)
        )
        ids = dep.ledger_ids()
        received = dep.ledger_received()
        log = dep.broker.folder / "mosquitto.log"
        drops = log.read_text(errors="replace").count("are being dropped") if log.exists() else 0
    sent = set(tally.published)
    in_ledger = set(ids)
    receipt = [(got - at).total_seconds() for i, (at, got) in received.items() if i in sent]
    ended = tally.sending_ended_at
    in_time = sum(1 for _at, got in received.values() if ended is not None and got <= ended)
    return FanIn(
        kiosks=kiosks,
        seconds=seconds,
        sent=len(sent),
        committed=len(in_ledger & sent),
        committed_in_time=in_time,
        lost=len(sent - in_ledger),
        duplicated=(len(ids) - len(in_ledger)) + tally.repeated_acks,
        acked=len(tally.acked),
        ack_latency=tally.latencies(),
        timeline=_timeline(tally),
        receipt_latency=receipt,
        broker_drops=drops,
        replica=(tally.replica_messages, tally.replica_bytes),
        hub=hub_cpu,
        broker_cpu=broker_cpu,
        kiosks_cpu=kiosks_cpu,
        connect_seconds=connected,
        load_before=before,
        load_after=load(),
        errors=tally.errors[:5] + _strays(in_ledger - sent),
    )


def _timeline(tally: Tally) -> list[tuple[float, float]]:
    return sorted(
        (at - tally.started, tally.acked[i] - at if i in tally.acked else math.inf)
        for i, at in tally.published.items()
    )


def fifths(r: FanIn) -> list[tuple[float, float]]:
    """Median and p99 publish-to-ack latency of the events published in each fifth of the
    run (an event never acked counts as slower than any): whether latency grows with the
    ledger, and when."""
    if not r.timeline:
        return []
    parts: list[list[float]] = [[] for _ in range(5)]
    for at, latency in r.timeline:
        parts[min(4, int(5 * at / r.seconds))].append(latency)
    return [(percentile(p, 0.5), percentile(p, 0.99)) for p in parts if p]


def _strays(ids: set[str]) -> list[str]:
    return [f"{len(ids)} ledger rows were never sent"] if ids else []


def _enough_files(kiosks: int) -> None:
    """Each kiosk is a socket here and one in the broker (a child, it inherits the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 2 * kiosks + 256))
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def _ms(seconds: float) -> str:
    return "not acked" if math.isinf(seconds) else f"{1000 * seconds:,.0f} ms"


def report(r: FanIn, interval: float) -> list[str]:
    ok = "met" if r.latency(0.99) < TARGET_P99 else "MISSED"
    lines = [
        f"{r.kiosks:,} kiosks, each its own broker login, 1 event per {interval:g} s for "
        f"{r.seconds:g} s ({r.kiosks / interval:,.0f} events/s offered); connected in "
        f"{r.connect_seconds:.1f} s",
        f"sent {r.sent:,}; in the ledger {r.committed:,} "
        f"({r.committed_in_time:,} of them taken in while the kiosks were sending: "
        f"{r.committed_in_time / r.seconds:,.0f} events/s); acked {r.acked:,}",
        f"lost (not in the ledger when the run ended) {r.lost:,}, duplicated {r.duplicated:,}",
        f"commit latency, publish -> signed ack at the kiosk: p50 {_ms(r.latency(0.5))}, "
        f"p99 {_ms(r.latency(0.99))}, max {_ms(r.latency(1.0))} "
        f"(target p99 < {TARGET_P99:g} s: {ok})",
        f"publish -> hub's receipt (ledger received_at - event time): "
        f"p50 {_ms(percentile(r.receipt_latency, 0.5))}, "
        f"p99 {_ms(percentile(r.receipt_latency, 0.99))}",
        f"hub CPU {r.hub.total / r.hub.wall:.2f} cores (paho's network thread "
        f"{100 * r.hub.share(PAHO):.0f} %, ingest {100 * r.hub.share('ingest'):.0f} %); "
        f"broker CPU {r.broker_cpu / r.hub.wall:.2f} cores; simulated kiosks' (this process) "
        f"{r.kiosks_cpu / r.hub.wall:.2f} cores",
        f"load average (1/5/15 min) before / after: {r.load_before} / {r.load_after}",
    ]
    if r.replica[0]:
        per = r.replica[1] / r.kiosks / r.seconds
        lines.append(
            f"replica to the kiosks: {r.replica[0]:,} messages, {r.replica[1] / 1e6:,.1f} MB "
            f"({per / 1000:,.1f} kB/s per kiosk)"
        )
    if r.broker_drops:
        lines.append(
            f"the broker logged {r.broker_drops} time(s) that it was dropping messages for a "
            "full client queue (max_queued_messages): the hub fell that far behind; the "
            "simulated kiosks do not send again, a real kiosk would after 10 s"
        )
    lines += [f"error: {e}" for e in r.errors]
    return lines


def _late(r: FanIn) -> str:
    """How the latency moved over the run: median and p99 of each fifth, by publish time."""
    each = fifths(r)
    if len(each) < 5:
        return ""
    return "ack latency by fifth of the run (publish time), median / p99: " + ", ".join(
        f"{_ms(med)} / {_ms(p99)}" for med, p99 in each
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kiosks", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=300, help="how long the kiosks publish")
    parser.add_argument("--interval", type=float, default=1.0, help="s between a kiosk's events")
    parser.add_argument("--traffic", choices=["custody", "denied"], default="custody")
    parser.add_argument("--hubs", type=int, default=1, help="hub processes (more need --postgres)")
    parser.add_argument("--postgres", action="store_true", help="hub database on PostgreSQL")
    parser.add_argument("--short", action="store_true", help="30 s instead of --seconds")
    parser.add_argument(
        "--replica", action="store_true", help="kiosks also take the replica, as real ones do"
    )
    parser.add_argument(
        "--timeline",
        type=Path,
        help="write each event's publish time and latency (s; null: never acked) to this CSV",
    )
    args = parser.parse_args()
    if args.short:
        args.seconds = 30.0
    if args.hubs > 1 and not args.postgres:
        parser.error("several hubs share a PostgreSQL database: add --postgres")
    with ExitStack() as stack:
        pg = stack.enter_context(postgres_cluster()) if args.postgres else None
        r = fan_in(
            args.kiosks,
            args.seconds,
            args.interval,
            args.traffic,
            args.hubs,
            pg,
            replica=args.replica,
        )
    print(machine())
    db = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{args.hubs} hub process(es) on {db}, {args.traffic} events")
    print("\n".join(report(r, args.interval)))
    if late := _late(r):
        print(late)
    if args.timeline is not None:
        with args.timeline.open("w", newline="") as out:
            rows = csv.writer(out)
            rows.writerow(["published_s", "latency_s"])
            rows.writerows(
                (f"{at:.3f}", "" if math.isinf(lat) else f"{lat:.4f}") for at, lat in r.timeline
            )


if __name__ == "__main__":
    main()
