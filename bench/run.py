"""Run the benchmarks several times and print a table of medians (min-max)."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess

from bench.e2e import latencies, p95, throughput


def _machine() -> str:
    try:
        first = subprocess.run(
            ["mosquitto", "-h"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[0]
    except (OSError, IndexError):
        first = "mosquitto: unknown"
    return f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {first}"


def _row(name: str, values: list[float], unit: str) -> str:
    med = statistics.median(values)
    return f"{name:<44} {med:>10.1f} {unit:<9} ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--events", type=int, default=2000, help="events per kiosk")
    parser.add_argument("--kiosks", type=int, default=4)
    parser.add_argument("--sessions", type=int, default=50, help="checkouts per latency run")
    parser.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.events, args.sessions = 1, 200, 10

    rates, receipt_med, receipt_p95, commit_med, commit_p95 = [], [], [], [], []
    for _ in range(args.repeat):
        rates.append(throughput(args.kiosks, args.events))
        to_receipt, to_commit = latencies(args.sessions)
        receipt_med.append(statistics.median(to_receipt))
        receipt_p95.append(p95(to_receipt))
        commit_med.append(statistics.median(to_commit))
        commit_p95.append(p95(to_commit))

    print(_machine())
    print(f"medians of {args.repeat} runs (min-max across runs); shared machine, expect noise")
    print(f"{'figure':<44} {'median':>10} {'unit':<9} range")
    print(
        _row(f"events committed+acked/s ({args.kiosks} kiosks x {args.events})", rates, "events/s")
    )
    print(_row(f"tap-to-receipt, median of {args.sessions}", receipt_med, "ms"))
    print(_row(f"tap-to-receipt, p95 of {args.sessions}", receipt_p95, "ms"))
    print(_row("receipt-to-committed (hub ack), median", commit_med, "ms"))
    print(_row("receipt-to-committed (hub ack), p95", commit_p95, "ms"))


if __name__ == "__main__":
    main()
